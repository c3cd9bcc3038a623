/** The one broadcast vocabulary every public broadcast maps onto. */
import type { WireTarget } from '../adapter/index.js'

/**
 * Which connections a broadcast reaches: a {@link WireTarget} (what travels
 * between nodes) plus `filter`, a predicate that runs where the connections
 * are and so only on this node.
 */
export interface BroadcastTarget<C> extends WireTarget {
  readonly filter?: ((conn: C) => boolean) | undefined
}
