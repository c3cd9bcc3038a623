/** What happened to one message handed to a connection. */
export const SendStatus = {
  /** Written (or queued for this turn's write) with the buffer under half of `maxBackpressure`. */
  Sent: 'sent',
  /** Queued, but the connection's unsent data is past half of `maxBackpressure`: slow down. */
  Buffered: 'buffered',
  /** Skipped for this connection: volatile with unsent data, or past `maxBackpressure` with policy `'drop'`. */
  Dropped: 'dropped',
  /** Not sent: the connection is closed or closing (or was just closed for backpressure). */
  Closed: 'closed',
} as const

export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus]
