/** roomcast/vite: seed 002's Vite plugin over the roomcast server. */

export type { UniversalApiOptions } from './options.js'
export { universalApi } from './plugin.js'
