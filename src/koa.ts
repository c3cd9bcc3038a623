/**
 * roomcast for Koa 2 and 3: upgrades routed through the app's middleware
 * (which may refuse), and `ctx.ws()` to upgrade from any middleware or route.
 */

export { websocket } from './integrations/koa/middleware.js'
export { type KoaApp, koaUpgrades } from './integrations/koa/upgrades.js'
