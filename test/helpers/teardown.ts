/** Tears down what tests opened: listed clients, raw sockets and servers, or closers run after each test. */
import type { Socket } from 'node:net'
import { after, afterEach, before } from 'node:test'
import type { RoomcastServer, WebSocketOptions } from '../../src/index.ts'
import { connectInto, type TestClient } from './client.ts'
import { startServer, type TestServer } from './server.ts'

/** Terminates the clients, destroys the raw sockets, then closes the servers, emptying each list. */
export async function closeAll(opened: {
  clients?: TestClient[]
  sockets?: Socket[]
  servers?: TestServer[]
}): Promise<void> {
  for (const client of opened.clients?.splice(0) ?? []) client.ws.terminate()
  for (const socket of opened.sockets?.splice(0) ?? []) socket.destroy()
  for (const server of opened.servers?.splice(0) ?? []) await server.close()
}

/** A list a test pushes closers onto as it opens things; after each test they run, newest first. */
export function cleanupsAfterEach(): Array<() => unknown> {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return cleanups
}

/**
 * The servers and clients one test file opens, closed after each test:
 * `serve(setup, options)` starts a server, `open(url)` connects a client.
 */
export function serverFixture() {
  const servers: TestServer[] = []
  const clients: TestClient[] = []
  afterEach(() => closeAll({ clients, servers }))
  return {
    servers,
    clients,
    open: connectInto(clients),
    serve: async (setup: (wss: RoomcastServer) => void, options: WebSocketOptions = {}) => {
      const server = await startServer(options, setup)
      servers.push(server)
      return server
    },
  }
}

/**
 * Records every unhandled rejection and uncaught exception while the file's
 * tests run (so a test can assert that none leaked), and stops after them.
 */
export function leaksDuringFile(): unknown[] {
  const leaked: unknown[] = []
  const onLeak = (error: unknown) => leaked.push(error)
  before(() => {
    process.on('unhandledRejection', onLeak)
    process.on('uncaughtException', onLeak)
  })
  after(() => {
    process.off('unhandledRejection', onLeak)
    process.off('uncaughtException', onLeak)
  })
  return leaked
}
