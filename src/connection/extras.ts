/** What few connections use, made on first use: an idle connection holds one empty field for all of it. */
import type { TokenGrant } from '../auth/index.js'
import type { TokenBucket } from '../message/index.js'
import type { DurableLink } from '../recovery/index.js'
import type { HeldEvent, StartupQueue } from './startup-queue.js'

/** What `assignedUser` holds until the application assigns `conn.user`. */
export const NOT_ASSIGNED = Symbol('not assigned')

export class ConnectionExtras {
  /** Who the handshake identified, if anyone did. */
  userId: string | undefined = undefined
  /** A roomcast client's session, and a catch-up in progress. */
  durable: DurableLink | undefined = undefined
  /** The route's rate limit, per connection. */
  bucket: TokenBucket | undefined = undefined
  /** The query string without `?`; parsed into `query` when read. */
  search = ''
  query: URLSearchParams | undefined = undefined
  metadata: Record<string, unknown> | undefined = undefined
  abort: AbortController | undefined = undefined
  /** Messages (and a close) held until the route handler settles; made on the first one. */
  startup: StartupQueue<HeldEvent> | undefined = undefined
  /** Rooms at the moment of closing, so close listeners can still address them. */
  roomsAtClose: string[] | undefined = undefined
  closeSent: { readonly code: number; readonly reason: string } | undefined = undefined
  assignedUser: unknown = NOT_ASSIGNED
  /** The token it was opened with, or refreshed to. */
  grant: TokenGrant | undefined = undefined
}
