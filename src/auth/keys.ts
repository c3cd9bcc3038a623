/**
 * Which JWT algorithms a key may verify, decided once at configuration time:
 * never `none`, never HMAC beside public-key algorithms, never an algorithm
 * the key's type or curve does not fit (the algorithm-confusion attacks).
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto'
import { invalid } from '../options/checks.js'

const HMAC = ['HS256', 'HS384', 'HS512'] as const
const RSA = ['RS256', 'RS384', 'RS512'] as const
const RSA_PSS = ['PS256', 'PS384', 'PS512'] as const
const EC_CURVES = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' } as const

/** A JWS algorithm `jwt()` verifies; `none` is not one. */
export type JwsAlgorithm =
  | (typeof HMAC)[number]
  | (typeof RSA)[number]
  | (typeof RSA_PSS)[number]
  | keyof typeof EC_CURVES
  | 'EdDSA'
  | 'Ed25519'

/** Every algorithm `jwt()` accepts in `algorithms`. */
export const ALGORITHMS: ReadonlySet<string> = new Set<JwsAlgorithm>([
  ...HMAC,
  ...RSA,
  ...RSA_PSS,
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

/** RFC 7518 §3.2: an HMAC key at least as long as the hash's output. */
const HMAC_KEY_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 }

const isHmac = (alg: string) => (HMAC as readonly string[]).includes(alg)

/** Whether `alg` can be verified with `key` at all. */
function fits(alg: string, key: KeyObject): boolean {
  if (isHmac(alg)) return key.type === 'secret'
  const type = key.asymmetricKeyType
  if ((RSA as readonly string[]).includes(alg)) return type === 'rsa'
  if ((RSA_PSS as readonly string[]).includes(alg)) return type === 'rsa' || type === 'rsa-pss'
  if (alg in EC_CURVES) {
    const curve = EC_CURVES[alg as keyof typeof EC_CURVES]
    return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === curve
  }
  if (alg === 'Ed25519') return type === 'ed25519'
  if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448'
  return false
}

/** The algorithm a key verifies when `algorithms` is not given. */
function defaultAlgorithm(key: KeyObject): string {
  if (key.type === 'secret') return 'HS256'
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256'
    case 'rsa-pss':
      return 'PS256'
    case 'ed25519':
    case 'ed448':
      return 'EdDSA'
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      const alg = Object.entries(EC_CURVES).find(([, named]) => named === curve)?.[0]
      if (alg !== undefined) return alg
    }
  }
  throw invalid('jwt.publicKey', 'an RSA, EC (P-256/384/521) or Ed25519 key', key.asymmetricKeyType)
}

/**
 * The checked allowlist: `given`, else the one algorithm the key implies
 * (a JWKS, whose keys are public, defaults to RS256 and ES256).
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for `none`, an unknown name,
 * HMAC mixed with public-key algorithms, or an algorithm the key cannot verify.
 */
export function checkAlgorithms(given: unknown, key: KeyObject | 'jwks'): string[] {
  const algorithms =
    given === undefined ? (key === 'jwks' ? ['RS256', 'ES256'] : [defaultAlgorithm(key)]) : given
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw invalid('jwt.algorithms', 'a non-empty array of JWS algorithm names', given)
  }
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) {
      const why = alg === 'none' ? ' (unsigned tokens are never accepted)' : ''
      throw invalid(`jwt.algorithms`, `one of ${[...ALGORITHMS].join(', ')}${why}`, alg)
    }
  }
  const hmac = algorithms.filter(isHmac)
  if (hmac.length > 0 && hmac.length < algorithms.length) {
    throw invalid(
      'jwt.algorithms',
      'HMAC (HS*) or public-key algorithms, not both: mixing them lets a public key sign as a secret',
      algorithms.join(', '),
    )
  }
  if (key === 'jwks') {
    if (hmac.length > 0) throw invalid('jwt.algorithms', 'public-key algorithms with jwks', hmac[0])
    return [...algorithms]
  }
  for (const alg of algorithms) {
    if (!fits(alg, key)) {
      const kind =
        key.type === 'secret' ? 'a secret' : `an ${key.asymmetricKeyType?.toUpperCase()} key`
      throw invalid('jwt.algorithms', `algorithms ${kind} can verify`, alg)
    }
    const bytes = HMAC_KEY_BYTES[alg]
    if (bytes !== undefined && (key.symmetricKeySize ?? 0) < bytes) {
      throw invalid(
        'jwt.secret',
        `at least ${bytes} bytes for ${alg} (RFC 7518: no shorter than the hash)`,
        `${key.symmetricKeySize} bytes`,
      )
    }
  }
  return [...algorithms]
}

/** `secret` as a KeyObject. @throws {RoomcastError} for an empty or non-binary secret. */
export function secretKey(secret: unknown, name: string): KeyObject {
  if (typeof secret === 'string' && secret.includes('-----BEGIN')) {
    // A public key used as an HMAC secret lets anyone who has it sign tokens.
    throw invalid(name, 'an HMAC secret, not a PEM key (give a public key as publicKey)', 'a PEM')
  }
  if (typeof secret === 'string' && secret.length > 0) return createSecretKey(Buffer.from(secret))
  if (secret instanceof Uint8Array && secret.length > 0) return createSecretKey(secret)
  if (isKeyObject(secret) && secret.type === 'secret') return secret
  throw invalid(name, 'a non-empty string, Uint8Array or secret KeyObject', secret)
}

/** `publicKey` (a PEM string or a KeyObject) as a public KeyObject. */
export function publicKey(key: unknown): KeyObject {
  if (isKeyObject(key)) {
    if (key.type === 'public') return key
    // A private key verifies too, but configuring one on a server that only verifies is a leak.
    throw invalid('jwt.publicKey', 'a public KeyObject (never the private key)', key.type)
  }
  if (typeof key !== 'string' || !key.includes('-----BEGIN')) {
    throw invalid('jwt.publicKey', 'a PEM string or a public KeyObject', typeof key)
  }
  if (key.includes('PRIVATE KEY')) {
    throw invalid('jwt.publicKey', 'a public key PEM (never the private key)', 'a private key')
  }
  try {
    return createPublicKey(key)
  } catch (error) {
    throw invalid('jwt.publicKey', 'a PEM public key or certificate', (error as Error).message)
  }
}

function isKeyObject(value: unknown): value is KeyObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyObject).export === 'function' &&
    typeof (value as KeyObject).type === 'string'
  )
}
