/** Bounds every await in tests so a failure is a clear message, not a hung run. */
export function within<T>(promise: Promise<T>, ms = 3000, label = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 5 ms until it holds; rejects with `label` after `ms`. */
export async function eventually(check: () => boolean, label: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${label}: not true within ${ms} ms`)
    await delay(5)
  }
}
