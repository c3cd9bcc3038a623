/**
 * `perMessageDeflate.strict` (seed 002): before the upgrade, refuse a client
 * whose permessage-deflate offers cannot match the configured parameters.
 */
import * as ws from 'ws'
import type { PerMessageDeflateOptions } from '../options/index.js'

type Offer = Record<string, Array<string | true>>

/** ws's own `Sec-WebSocket-Extensions` parser (a public export of its ESM entry), so both agree. */
const { parse } = (
  ws as unknown as { extension: { parse(header: string): Record<string, Offer[]> } }
).extension

/** The deflate parameters `strict` applies to, or `undefined` when it is off. */
export function strictDeflate(config: unknown): PerMessageDeflateOptions | undefined {
  if (typeof config !== 'object' || config === null) return undefined
  const params = config as PerMessageDeflateOptions
  return params.strict === true ? params : undefined
}

/**
 * Why no offer in the header can match `params`, or `undefined` when one can.
 *
 * "Match" means the agreement ws would reach (RFC 7692 §7) is the configured
 * one on every parameter the configuration sets; what it leaves unset is the
 * client's to choose. For each offer, in order (ws takes the first it can):
 * - `serverNoContextTakeover: true`, `clientNoContextTakeover: true`: always
 *   met, the server may declare them unasked (§7.1.1.1, §7.1.1.2);
 * - `serverNoContextTakeover: false`: the offer must not ask for
 *   `server_no_context_takeover` (ws refuses that offer too);
 * - `clientNoContextTakeover: false`: the offer must not carry
 *   `client_no_context_takeover`, which ws would echo into the agreement;
 * - `serverMaxWindowBits: n`: the offer's `server_max_window_bits`, if any,
 *   must be at least `n`, or the server would have to use a smaller window;
 * - `clientMaxWindowBits: n`: the offer must carry `client_max_window_bits`
 *   (a client that does not may not be limited, §7.1.2.2), bare or at least `n`.
 * No header, or no permessage-deflate offer in it, never matches. A header ws
 * cannot parse is left to ws, which refuses it with 400 as well.
 */
export function deflateMismatch(
  header: string | undefined,
  params: PerMessageDeflateOptions,
): string | undefined {
  if (header === undefined) return 'no permessage-deflate offer'
  let offers: Offer[] | undefined
  try {
    offers = parse(header)['permessage-deflate']
  } catch {
    return undefined
  }
  if (offers === undefined || offers.length === 0) return 'no permessage-deflate offer'
  let first: string | undefined
  for (const offer of offers) {
    const why = offerMismatch(offer, params)
    if (why === undefined) return undefined
    first ??= why
  }
  return first
}

function offerMismatch(offer: Offer, params: PerMessageDeflateOptions): string | undefined {
  if (params.serverNoContextTakeover === false && offer.server_no_context_takeover) {
    return 'the client asks for server_no_context_takeover; serverNoContextTakeover is false'
  }
  if (params.clientNoContextTakeover === false && offer.client_no_context_takeover) {
    return 'the client offers client_no_context_takeover; clientNoContextTakeover is false'
  }
  const server = params.serverMaxWindowBits
  const asked = offer.server_max_window_bits?.[0]
  if (server !== undefined && asked !== undefined && !(Number(asked) >= server)) {
    return `the client asks for server_max_window_bits=${String(asked)}; serverMaxWindowBits is ${server}`
  }
  const client = params.clientMaxWindowBits
  if (client !== undefined) {
    const offered = offer.client_max_window_bits?.[0]
    if (offered === undefined) {
      return `the client does not offer client_max_window_bits; clientMaxWindowBits is ${client}`
    }
    if (offered !== true && !(Number(offered) >= client)) {
      return `the client offers client_max_window_bits=${offered}; clientMaxWindowBits is ${client}`
    }
  }
  return undefined
}
