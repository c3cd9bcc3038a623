/** roomcast/vite: `universalApi()`, seed 002's Vite plugin, serving route objects beside Vite's HMR. */

export { type UniversalApiOptions, universalApi } from './integrations/vite/index.js'
