/** Type tests for controllers and contracts: checked by `tsc --noEmit`, never run. */
import { z } from 'zod'
import type { RoomcastServer } from '../../src/index.ts'
import {
  type ActionContext,
  type ActionRoute,
  type ControllerConnection,
  ControllerRouter,
  type ErrorReply,
} from '../../src/message/controllers.ts'
import { type RoomReply, systemController } from '../../src/message/system-controller.ts'
import {
  type ContractReply,
  type ContractRequest,
  defineAction,
  defineControllers,
  type TypedConnection,
} from '../../src/message/typed.ts'
import type { WSConnection } from '../../src/types.ts'

declare const wsConn: WSConnection

interface ChatContract {
  chat: {
    send: { data: { text: string }; reply: { messageId: number } }
    typing: { data: { username: string } }
  }
  presence: { list: { reply: string[] } }
}

// The real connection satisfies what the router needs.
export const asControllerConnection: ControllerConnection = wsConn

const router = new ControllerRouter<WSConnection, RoomcastServer>()

// --- defineAction: data inferred from a zod 4 schema --------------------------------------

router.add(
  defineAction({
    type: 'chat',
    action: 'send',
    schema: z.object({ text: z.string().min(1), urgent: z.boolean().optional() }),
    handler: (conn, data, ctx) => {
      const text: string = data.text
      const urgent: boolean | undefined = data.urgent
      const server: RoomcastServer = ctx.server
      const signal: AbortSignal = ctx.signal
      const id: string | number | undefined = ctx.requestId
      // @ts-expect-error -- not in the schema
      data.missing
      // @ts-expect-error -- text is a string
      data.text.toFixed()
      conn.metadata.lastText = text
      return { length: text.length, urgent, server, signal, id }
    },
  }),
)

// zod transforms: the handler sees the schema's output, not its input.
defineAction({
  type: 'n',
  action: 'parse',
  schema: z.string().transform((s) => Number.parseInt(s, 10)),
  handler: (_conn, data) => {
    const n: number = data
    // @ts-expect-error -- output is a number, not the input string
    const s: string = data
    return n + s.length
  },
})

// Without a schema, data is unknown until narrowed.
defineAction({
  type: 'raw',
  action: 'echo',
  handler: (_conn, data) => {
    // @ts-expect-error -- unknown: must be narrowed first
    data.text
    return typeof data === 'string' ? data : undefined
  },
})

// Async handlers are fine.
defineAction({
  type: 'a',
  action: 'b',
  schema: z.object({ id: z.number() }),
  handler: async (_conn, data) => ({ id: data.id }),
})

// A raw route can't claim a data type no schema checks.
export const lie: ActionRoute<WSConnection, RoomcastServer> = {
  type: 'chat',
  action: 'lie',
  // @ts-expect-error -- data is unknown without a schema
  handler: (_conn: WSConnection, data: { text: string }) => data.text,
}

// --- defineControllers: a contract checks data and replies -------------------------------

router.add(
  defineControllers<ChatContract>({
    chat: {
      send: (conn, data) => {
        conn.broadcast({ type: 'chat', action: 'message', data: { text: data.text } })
        return { messageId: data.text.length }
      },
      typing: (_conn, data) => {
        const name: string = data.username
        void name
      },
    },
    presence: { list: async () => ['alice', 'bob'] },
  }),
)

defineControllers<ChatContract>({
  chat: {
    send: {
      schema: z.object({ text: z.string().max(500) }),
      handler: (_conn, data) => ({ messageId: data.text.length }),
    },
    typing: () => undefined,
  },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  chat: {
    // @ts-expect-error -- reply must be { messageId: number }
    send: () => ({ messageId: 'one' }),
    typing: () => undefined,
  },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  chat: {
    // @ts-expect-error -- `txt` is not in the contract's data
    send: (_conn, data) => ({ messageId: data.txt.length }),
    typing: () => undefined,
  },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  chat: {
    send: () => ({ messageId: 1 }),
    // @ts-expect-error -- typing declares no reply
    typing: () => ({ ok: true }),
  },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  chat: {
    send: {
      // @ts-expect-error -- the schema's output must be the contract's data
      schema: z.object({ body: z.string() }),
      handler: () => ({ messageId: 1 }),
    },
    typing: () => undefined,
  },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  // @ts-expect-error -- every action of the contract must be implemented
  chat: { send: () => ({ messageId: 1 }) },
  presence: { list: () => [] },
})

defineControllers<ChatContract>({
  chat: { send: () => ({ messageId: 1 }), typing: () => undefined },
  presence: { list: () => [] },
  // @ts-expect-error -- not in the contract
  admin: { kick: () => undefined },
})

// --- Message unions and typed connections -----------------------------------------------

type Reply = ContractReply<ChatContract>
export const replies: Reply[] = [
  { type: 'chat', action: 'send', requestId: 7, data: { messageId: 1 } },
  { type: 'presence', action: 'list', data: ['a'] },
  // @ts-expect-error -- typing has no reply
  { type: 'chat', action: 'typing', data: undefined },
  // @ts-expect-error -- wrong reply data
  { type: 'chat', action: 'send', data: { messageId: '1' } },
]

export const request: ContractRequest<ChatContract> = {
  type: 'chat',
  action: 'typing',
  data: { username: 'ann' },
}
// @ts-expect-error -- send takes { text }
export const badRequest: ContractRequest<ChatContract> = { type: 'chat', action: 'send', data: {} }

type Outgoing = Reply | ErrorReply | { type: 'chat'; action: 'message'; data: { text: string } }
const typed: TypedConnection<Outgoing> = wsConn
typed.json({ type: 'chat', action: 'message', data: { text: 'hi' } })
typed.json({ type: 'error', error: { code: 'ERR_X', message: 'x' } })
// @ts-expect-error -- not an outgoing message
typed.json({ type: 'chat', action: 'message', data: { text: 1 } })
// @ts-expect-error -- not an outgoing message
typed.json('plain text')
typed.join('room')

// A handler may take a TypedConnection; the router still gives it the real connection.
router.add(
  defineAction({
    type: 'chat',
    action: 'hello',
    handler: (conn: TypedConnection<Outgoing>) => {
      conn.json({ type: 'chat', action: 'message', data: { text: 'hello' } })
    },
  }),
)

// --- A custom connection type flows through every helper ---------------------------------

interface FakeConn extends ControllerConnection {
  readonly tag: 'fake'
}
interface FakeServer {
  readonly name: string
}
const fakeRouter = new ControllerRouter<FakeConn, FakeServer>()
fakeRouter.add(systemController<FakeConn, FakeServer>({ authorizeJoin: (c) => c.tag === 'fake' }))
fakeRouter.add(
  defineControllers<ChatContract, FakeConn, FakeServer>({
    chat: {
      send: (conn, data, ctx: ActionContext<FakeServer>) => ({
        messageId: conn.tag.length + data.text.length + ctx.server.name.length,
      }),
      typing: () => undefined,
    },
    presence: { list: () => [] },
  }),
)
fakeRouter.add(
  defineAction({
    type: 't',
    action: 'a',
    schema: z.object({ n: z.number() }),
    handler: (conn: FakeConn, data, ctx: ActionContext<FakeServer>) =>
      conn.tag + data.n + ctx.server.name,
  }),
)
const forWsConnections = defineControllers<ChatContract>({
  chat: { send: () => ({ messageId: 1 }), typing: () => undefined },
  presence: { list: () => [] },
})
// @ts-expect-error -- routes written for WSConnection don't fit a FakeConn router
fakeRouter.add(forWsConnections)
fakeRouter.add(
  defineControllers<ChatContract, FakeConn, FakeServer>({
    chat: { send: () => ({ messageId: 1 }), typing: () => undefined },
    presence: { list: () => [] },
  }),
)

export const roomReply: RoomReply = { room: 'a', rooms: ['a'] }
