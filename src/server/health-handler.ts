/**
 * `wss.healthHandler()`: the health JSON over HTTP for load balancers and
 * orchestrators. Readiness says whether to send traffic here (503 while the
 * cluster bus is down or the server is closing); liveness whether the
 * process answers at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { invalid } from '../options/checks.js'
import type { ServerHealth } from './events.js'

export type HealthProbe = 'readiness' | 'liveness'

/** A Node request handler: Express and Connect take it as it is. */
export type HealthHandler = (request: IncomingMessage, response: ServerResponse) => void

/** @throws {RoomcastError} `ERR_INVALID_OPTION` for another probe. */
export function createHealthHandler(
  health: () => ServerHealth,
  probe: HealthProbe = 'readiness',
): HealthHandler {
  if (probe !== 'readiness' && probe !== 'liveness') {
    throw invalid('healthHandler.probe', "'readiness' or 'liveness'", probe)
  }
  return (_request, response) => {
    const report = health()
    const ready = report.status === 'ok' && !report.closing
    const status = probe === 'liveness' || ready ? 200 : 503
    const body = JSON.stringify(report)
    response.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    })
    response.end(body)
  }
}
