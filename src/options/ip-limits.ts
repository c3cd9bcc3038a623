/** Limits per client address, before the upgrade: `maxConnectionsPerIp`, `handshakeRate`, `trustProxy`. */
import { count, invalid } from './checks.js'
import { assertKnownKeys, keySet } from './known-keys.js'

/** Handshakes per second: from one address, and in all. */
export interface HandshakeRateOptions {
  perIp?: number
  perSecond?: number
}

export interface IpLimitOptions {
  readonly maxConnectionsPerIp: number
  readonly handshakeRate: { readonly perIp: number; readonly perSecond: number } | undefined
  /** Proxies in front of the server whose `X-Forwarded-For` entries are believed; 0 = none. */
  readonly trustProxy: number
}

const RATE_KEYS = keySet<HandshakeRateOptions>({ perIp: true, perSecond: true })

/** @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option. */
export function resolveIpLimits(options: {
  maxConnectionsPerIp?: number | undefined
  handshakeRate?: HandshakeRateOptions | undefined
  trustProxy?: boolean | number | undefined
}): IpLimitOptions {
  const { handshakeRate, trustProxy = false } = options
  let rate: IpLimitOptions['handshakeRate']
  if (handshakeRate !== undefined) {
    if (typeof handshakeRate !== 'object' || handshakeRate === null) {
      throw invalid('handshakeRate', '{ perIp?, perSecond? }', handshakeRate)
    }
    assertKnownKeys(handshakeRate, RATE_KEYS, {
      object: 'createWebSocket',
      path: 'handshakeRate.',
    })
    rate = {
      perIp: count('handshakeRate.perIp', handshakeRate.perIp, {}, 0),
      perSecond: count('handshakeRate.perSecond', handshakeRate.perSecond, {}, 0),
    }
  }
  if (typeof trustProxy !== 'boolean' && !(Number.isInteger(trustProxy) && trustProxy >= 0)) {
    throw invalid('trustProxy', 'a boolean or a number of proxies', trustProxy)
  }
  return {
    maxConnectionsPerIp: count('maxConnectionsPerIp', options.maxConnectionsPerIp, {}, 0),
    handshakeRate: rate,
    trustProxy: trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy,
  }
}
