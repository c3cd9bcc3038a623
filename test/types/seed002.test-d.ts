/**
 * Seed 002's Basic Setup route, as the seed writes it in TypeScript, type-checks against
 * wss.route(): `conn.send()` takes an object there. (tsc --noEmit checks this file; it never runs.)
 */
import { createWebSocket, type RouteConnection } from '../../src/index.ts'

const wss = createWebSocket()

wss.route({
  pattern: '/ws/chat',
  onConnect: (conn) => {
    console.log('Client connected:', conn.id)
    conn.send({ type: 'welcome', message: 'Welcome!' })
  },
  onMessage: (conn, data) => {
    console.log('Received:', data)
    conn.broadcast(data, { includeSelf: true })
  },
  onClose: (conn, _code, _reason) => {
    console.log('Client disconnected:', conn.id)
  },
})

// A route object's connection sends any value; a wss.on() route's stays strict (seed 000).
export const sendsObjects = (conn: RouteConnection): boolean => conn.send({ any: 'value' })
wss.on('/strict', (conn) => {
  // @ts-expect-error seed 000: send() takes a string or bytes; objects go through json()
  conn.send({ type: 'nope' })
})
