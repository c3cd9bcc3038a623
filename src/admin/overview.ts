/** The admin overview: cluster-wide figures, nodes, rooms and connections from two cluster queries. */
import { performance } from 'node:perf_hooks'
import type { ConnectionInfo, NodeError } from '../adapter/index.js'
import type { NodeStatus } from '../adapter/types.js'
import type { RoomcastServer } from '../server/index.js'
import type { RateMeter, Rates } from './rates.js'

/** Totals over every node that answered. */
export interface AdminFigures extends Rates {
  connections: number
  /** Rooms with members anywhere, each once. */
  rooms: number
  /** Distinct user ids among the connections. */
  users: number
  messagesDropped: number
  closedForBackpressure: number
  /** Nodes that answered, and how many of them report `ok`. */
  nodes: number
  nodesOk: number
}

export interface AdminNode extends Rates {
  nodeId: string
  /** The node serving this overview. */
  self: boolean
  status: 'ok' | 'degraded'
  reason: string | undefined
  closing: boolean
  connections: number
  rooms: number
  messagesIn: number
  messagesOut: number
  messagesDropped: number
  closedForBackpressure: number
}

export interface AdminMember {
  id: string
  userId: string | undefined
}

export interface AdminRoom {
  name: string
  connections: number
  /** The first `listLimit` members. */
  members: AdminMember[]
}

export interface AdminConnection {
  id: string
  nodeId: string
  userId: string | undefined
  rooms: string[]
}

/** What `GET {path}/api/overview` answers. */
export interface AdminOverview {
  /** When it was read, ms since the epoch. */
  time: number
  figures: AdminFigures
  nodes: AdminNode[]
  rooms: AdminRoom[]
  connections: AdminConnection[]
  /** Some list holds only the first `listLimit` entries. */
  truncated: boolean
  /** Nodes that did not answer one of the queries. */
  errors: NodeError[]
  partial: boolean
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Users first (by id), then anonymous connections, each group by connection id. */
function byUserThenId(a: ConnectionInfo, b: ConnectionInfo): number {
  if (a.userId !== b.userId) {
    if (a.userId === undefined) return 1
    if (b.userId === undefined) return -1
    return byName(a.userId, b.userId)
  }
  return byName(a.id, b.id)
}

function nodeRow(node: NodeStatus, self: boolean, rates: Rates): AdminNode {
  const { stats, health } = node
  return {
    nodeId: node.nodeId,
    self,
    status: health.status,
    reason: health.reason,
    closing: health.closing,
    connections: stats.connections,
    rooms: stats.rooms,
    messagesIn: stats.messagesIn,
    messagesOut: stats.messagesOut,
    ...rates,
    messagesDropped: stats.messagesDropped,
    closedForBackpressure: stats.closedForBackpressure,
  }
}

/** Adds up rates that are known; `null` when no node has one yet. */
function total(nodes: AdminNode[], key: keyof Rates): number | null {
  const known = nodes.flatMap((node) => node[key] ?? [])
  return known.length === 0 ? null : Math.round(known.reduce((a, b) => a + b, 0) * 10) / 10
}

function roomRows(connections: ConnectionInfo[], limit: number): AdminRoom[] {
  const rooms = new Map<string, ConnectionInfo[]>()
  for (const conn of connections) {
    for (const room of conn.rooms) {
      const members = rooms.get(room)
      if (members === undefined) rooms.set(room, [conn])
      else members.push(conn)
    }
  }
  return [...rooms.keys()]
    .sort(byName)
    .slice(0, limit)
    .map((name) => {
      const members = rooms.get(name) ?? []
      return {
        name,
        connections: members.length,
        members: members.slice(0, limit).map(({ id, userId }) => ({ id, userId })),
      }
    })
}

export async function readOverview(
  wss: RoomcastServer,
  meter: RateMeter,
  listLimit: number,
): Promise<AdminOverview> {
  const [nodes, connections] = await Promise.all([wss.fetchNodes(), wss.fetchConnections()])
  const now = performance.now()
  const nodeRows = nodes.value
    .map((node) => {
      const { messagesIn, messagesOut } = node.stats
      const rates = meter.sample(node.nodeId, messagesIn, messagesOut, now)
      return nodeRow(node, node.nodeId === wss.nodeId, rates)
    })
    .sort((a, b) => (a.self ? -1 : b.self ? 1 : byName(a.nodeId, b.nodeId)))
  const all = [...connections.value].sort(byUserThenId)
  const rooms = roomRows(all, listLimit)
  const roomCount = new Set(all.flatMap((conn) => conn.rooms)).size
  const errors = [...nodes.errors]
  for (const error of connections.errors) {
    if (!errors.some((known) => known.nodeId === error.nodeId)) errors.push(error)
  }
  const sum = (key: 'connections' | 'messagesDropped' | 'closedForBackpressure') =>
    nodeRows.reduce((acc, node) => acc + node[key], 0)
  return {
    time: Date.now(),
    figures: {
      connections: sum('connections'),
      rooms: roomCount,
      users: new Set(all.flatMap((conn) => conn.userId ?? [])).size,
      messagesInPerSecond: total(nodeRows, 'messagesInPerSecond'),
      messagesOutPerSecond: total(nodeRows, 'messagesOutPerSecond'),
      messagesDropped: sum('messagesDropped'),
      closedForBackpressure: sum('closedForBackpressure'),
      nodes: nodeRows.length,
      nodesOk: nodeRows.filter((node) => node.status === 'ok').length,
    },
    nodes: nodeRows,
    rooms,
    connections: all.slice(0, listLimit).map(({ id, nodeId, userId, rooms }) => ({
      id,
      nodeId,
      userId,
      rooms: [...rooms].sort(byName),
    })),
    truncated:
      all.length > listLimit ||
      roomCount > listLimit ||
      rooms.some((room) => room.connections > listLimit),
    errors,
    partial: nodes.partial || connections.partial,
  }
}
