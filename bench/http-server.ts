// The http server every bench server attaches to: tight header timeouts, as a production server has
// them (and as roomcast asks of servers it attaches to, so none of them logs the slowloris warning).
import { createServer, type Server } from 'node:http'

export const createBenchServer = (): Server =>
  createServer({ headersTimeout: 10_000, requestTimeout: 60_000 })
