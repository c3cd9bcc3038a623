/** The shared adapter suite on the in-memory adapter (one node). */

import { runAdapterSuite } from './adapter-suite.ts'
import { memoryCluster } from './helpers/cluster.ts'

runAdapterSuite('memory', memoryCluster, 1)
