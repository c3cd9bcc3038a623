// The JWT variant's secret and token: one HS256 token, valid for the run, made before any connect.
import { SignJWT } from 'jose'

export const BENCH_SECRET = 'roomcast-bench-secret-of-enough-length'

export const benchToken = await new SignJWT({ sub: 'bench-user' })
  .setProtectedHeader({ alg: 'HS256' })
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(BENCH_SECRET))
