/** A `verifyClient` for seed tests: `?user=<id>&role=<role>` becomes `conn.userId` and `metadata.role`. */
import type { IncomingMessage } from 'node:http'
import type { AuthResult } from '../../src/index.ts'

export function identityFromQuery(req: IncomingMessage): AuthResult {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams
  const userId = query.get('user')
  if (userId === null) return true
  const role = query.get('role')
  return { userId, metadata: role === null ? {} : { role } }
}
