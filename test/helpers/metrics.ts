/** Reads series out of a prom-client registry's text exposition, as Prometheus would scrape them. */
import { Registry } from 'prom-client'

/**
 * The value of one series, `name{labels}` written exactly as prom-client
 * writes it (constant labels first, then roomcast's own); `undefined` when
 * the scrape has no such series.
 */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** A fresh registry and a scrape of one series. */
export function testRegistry() {
  const registry = new Registry()
  return {
    registry,
    /** Scrapes the whole registry and reads one series. */
    read: async (series: string) => sample(await registry.metrics(), series),
    /** Scrapes once and reads several series, in order. */
    readAll: async (...series: string[]) => {
      const text = await registry.metrics()
      return series.map((s) => sample(text, s))
    },
  }
}
