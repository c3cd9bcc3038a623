/** Test clusters: adapters with fake hosts, one node or several over the in-process bus. */
import { type BusTransport, createInProcessBus, type InProcessBus } from '../../src/adapter/bus.ts'
import { ClusterAdapter, type ClusterAdapterOptions } from '../../src/adapter/cluster.ts'
import { MemoryAdapter } from '../../src/adapter/memory.ts'
import type { Transport } from '../../src/adapter/transport.ts'
import type { Adapter } from '../../src/adapter/types.ts'
import { FakeHost } from './adapter-host.ts'
import { eventually } from './timeout.ts'

export interface TestNode<A extends Adapter = Adapter> {
  adapter: A
  host: FakeHost
}

export interface TestCluster<A extends Adapter = Adapter> {
  nodes: Array<TestNode<A>>
  /** Resolves once nothing is in flight: subscription changes, bus messages, their replies. */
  settle(): Promise<void>
  close(): Promise<void>
}

export type MakeCluster = (size: number) => Promise<TestCluster>

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function memoryCluster(): Promise<TestCluster> {
  const adapter = new MemoryAdapter()
  const host = new FakeHost('memory-node', adapter)
  await adapter.init(host)
  return {
    nodes: [{ adapter, host }],
    settle: async () => {
      for (let i = 0; i < 3; i++) await turn()
    },
    close: () => adapter.close(),
  }
}

export interface BusCluster extends TestCluster<ClusterAdapter> {
  bus: InProcessBus
  /** Each node's own bus transport (under any wrapper). */
  transports: BusTransport[]
}

export interface BusClusterOptions {
  bus?: InProcessBus
  adapter?: Omit<ClusterAdapterOptions, 'transport'>
  /** Node ids are `node-${offset + i}`, so a second cluster on a bus can join the first. @default 0 */
  offset?: number
  /** Wraps each node's transport (to spy on it or to silence it). */
  wrap?: (transport: Transport, index: number) => Transport
}

/** `size` cluster adapters on one in-process bus, each knowing all the others. */
export async function busCluster(
  size: number,
  options: BusClusterOptions = {},
): Promise<BusCluster> {
  const bus = options.bus ?? createInProcessBus()
  const nodes: Array<TestNode<ClusterAdapter>> = []
  const transports: BusTransport[] = []
  for (let i = 0; i < size; i++) {
    const raw = bus.transport()
    transports.push(raw)
    const transport = options.wrap?.(raw, i) ?? raw
    const adapter = new ClusterAdapter({ ...options.adapter, transport })
    const host = new FakeHost(`node-${(options.offset ?? 0) + i}`, adapter)
    await adapter.init(host)
    nodes.push({ adapter, host })
  }
  const settle = async () => {
    // Bounded: a message can cause a reply, which the next turns deliver.
    for (let idle = 0, i = 0; idle < 3 && i < 200; i++) {
      await turn()
      idle = bus.pending === 0 ? idle + 1 : 0
    }
  }
  await eventually(
    () => nodes.every(({ adapter }) => adapter.health().nodes >= size),
    'every node knows the others',
  )
  await settle()
  return {
    bus,
    transports,
    nodes,
    settle,
    close: async () => {
      await Promise.all(nodes.map(({ adapter }) => adapter.close()))
    },
  }
}
