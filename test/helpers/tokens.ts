/** Test tokens: keys made in the test run, tokens signed with jose, and hand-built bad ones. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { type JWTPayload, SignJWT } from 'jose'

export const SECRET = 'a-test-secret-of-enough-length-for-hs256'

export interface TestKeys {
  rsa: { publicKey: KeyObject; privateKey: KeyObject; publicPem: string }
  ec: { publicKey: KeyObject; privateKey: KeyObject }
}

/** An RSA and a P-256 key pair, made once per call (tests share one per file). */
export function testKeys(): TestKeys {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  return {
    rsa: {
      ...rsa,
      publicPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
    ec,
  }
}

export interface SignOptions {
  alg?: string
  key?: KeyObject | Uint8Array | string
  /** Seconds from now; `null` for no `exp`. @default 60 */
  expiresIn?: number | null
  /** Seconds from now for `nbf`. */
  notBefore?: number
  kid?: string
}

/** A token for `claims` (`sub` included), HS256 with {@link SECRET} unless told otherwise. */
export async function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const { alg = 'HS256', expiresIn = 60, notBefore, kid } = options
  const now = Math.floor(Date.now() / 1000)
  const key = options.key ?? SECRET
  let jwt = new SignJWT(claims).setProtectedHeader(kid ? { alg, kid } : { alg }).setIssuedAt(now)
  if (expiresIn !== null) jwt = jwt.setExpirationTime(now + expiresIn)
  if (notBefore !== undefined) jwt = jwt.setNotBefore(now + notBefore)
  return jwt.sign(typeof key === 'string' ? new TextEncoder().encode(key) : key)
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An unsigned token (`alg: none`), the classic forgery. */
export function unsignedToken(claims: JWTPayload): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`
}

/** `token` with one character inside its signature changed (never a padding bit). */
export function tampered(token: string): string {
  const at = token.lastIndexOf('.') + 5
  const flip = token[at] === 'A' ? 'B' : 'A'
  return `${token.slice(0, at)}${flip}${token.slice(at + 1)}`
}

/** Seconds since the epoch, as `exp` counts. */
export const nowSeconds = () => Math.floor(Date.now() / 1000)
