/** metricsHandler(): a registry's metrics over HTTP, for Prometheus to scrape. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { register } from 'prom-client'
import { invalid } from '../options/index.js'
import { isRegistry, type MetricsRegistry } from './options.js'

/** A Node request handler: Express and Connect take it as it is. */
export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * An HTTP handler answering GET (and HEAD) with the registry's metrics in its
 * own format (`text/plain; version=0.0.4` unless it is an OpenMetrics
 * registry); other methods get 405, a collector that fails 500.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` when `registry` is not a prom-client registry.
 * @example
 * app.get('/metrics', metricsHandler())
 */
export function metricsHandler(registry: MetricsRegistry = register): MetricsHandler {
  if (!isRegistry(registry))
    throw invalid('metricsHandler.registry', 'a prom-client Registry', registry)
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', {
        Allow: 'GET, HEAD',
      })
      return
    }
    const head = request.method === 'HEAD'
    registry.metrics().then(
      (body) => answer(response, 200, registry.contentType, head ? '' : body, {}, body),
      (error: unknown) => {
        const message = `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}`
        answer(response, 500, 'text/plain; charset=utf-8', message)
      },
    )
  }
}

function answer(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
  /** What Content-Length describes: the GET body, even for HEAD. */
  measured = body,
): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(measured),
    'Cache-Control': 'no-store',
  })
  response.end(body)
}
