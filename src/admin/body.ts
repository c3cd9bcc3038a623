/** Reads an admin API request's JSON body, bounded, or takes the one a body parser already read. */
import type { IncomingMessage } from 'node:http'
import type { Refusal } from './csrf.js'

/** Admin actions carry a target and a short message: 16 KiB is plenty. */
export const MAX_BODY_BYTES = 16 * 1024

export type BodyResult = { ok: true; value: unknown } | ({ ok: false } & Refusal)

const tooLarge: BodyResult = {
  ok: false,
  status: 413,
  error: `the body is larger than ${MAX_BODY_BYTES} bytes`,
}

function parse(text: string): BodyResult {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, status: 400, error: 'the body is not valid JSON' }
  }
}

export function readJsonBody(request: IncomingMessage): Promise<BodyResult> {
  // Mounted after express.json() (or another parser), the stream is spent and the value is here.
  const parsed = (request as IncomingMessage & { body?: unknown }).body
  if (request.readableEnded && parsed !== undefined) {
    if (typeof parsed === 'string') return Promise.resolve(parse(parsed))
    if (Buffer.isBuffer(parsed)) return Promise.resolve(parse(parsed.toString('utf8')))
    return Promise.resolve({ ok: true, value: parsed })
  }
  const declared = Number(request.headers['content-length'])
  if (declared > MAX_BODY_BYTES) return Promise.resolve(tooLarge)
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk)
        return
      }
      // Stop buffering; the rest is discarded so the response can still be written.
      request.off('data', onData)
      request.resume()
      resolve(tooLarge)
    }
    request.on('data', onData)
    request.once('end', () => {
      if (size <= MAX_BODY_BYTES) resolve(parse(Buffer.concat(chunks).toString('utf8')))
    })
    request.once('error', () => resolve({ ok: false, status: 400, error: 'the body was cut off' }))
  })
}
