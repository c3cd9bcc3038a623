/** roomcast's Logger over Vite's: the server's lines appear with Vite's, and its `logLevel` applies. */
import { format } from 'node:util'
import type { Logger as ViteLogger } from 'vite'
import type { Logger } from '../../types.js'

export function viteLogger(vite: ViteLogger): Logger {
  return {
    error: (message, ...details) =>
      vite.error(format(message, ...details), {
        timestamp: true,
        error: details.find((detail): detail is Error => detail instanceof Error) ?? null,
      }),
    warn: (message, ...details) => vite.warn(format(message, ...details), { timestamp: true }),
    info: (message, ...details) => vite.info(format(message, ...details), { timestamp: true }),
  }
}
