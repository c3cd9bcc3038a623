/**
 * The clock of per-connection times: milliseconds since roomcast was loaded.
 * Such times are small integers, which V8 keeps inside the object; times in
 * ms since the epoch would each be a separate 16-byte heap number, four per
 * connection. Past 24.8 days they outgrow that range and are boxed again:
 * still correct, only larger.
 */
const ORIGIN = Date.now()

/**
 * Now, on the connection clock. `Math.floor` of an integral difference changes
 * nothing but its type: V8 returns a small integer, where the subtraction of
 * two heap numbers returns a heap number, and one heap number stored in a
 * field makes that field a boxed double for every connection.
 */
export const clockNow = (): number => Math.floor(Date.now() - ORIGIN)

/** A connection-clock time as ms since the epoch. */
export const toEpoch = (time: number): number => ORIGIN + time

/** An epoch time (`Date.now()`) on the connection clock. */
export const fromEpoch = (epoch: number): number => Math.floor(epoch - ORIGIN)
