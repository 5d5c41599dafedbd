// What `executor.stats()` reports, and the histogram its run and wait times come from. Always on,
// so it must cost next to nothing: counters on the call path, and times recorded into fixed
// log-scale buckets (an increment each), never a list of samples.

/** Approximate percentiles of a time, in milliseconds (see LogHistogram for the precision). */
export interface TimeStats {
  /** How many times were recorded (for the event loop: the sampled calls only). */
  count: number;
  /** Medians and tails, each the midpoint of its bucket: within about ±10% of the true value. */
  p50: number;
  p90: number;
  p99: number;
  /** The largest time recorded, to its bucket's precision. */
  max: number;
}

/** What `executor.stats()` reports: a snapshot, taken when called. */
export interface ExecutorStats {
  workers: {
    /** Workers alive now (threads, processes; the event loop: calls running, its only "workers"). */
    alive: number;
    /** Of those, the ones holding a call. */
    busy: number;
  };
  calls: {
    /** Submitted and not yet handed to a worker (cancelled ones not included). */
    queued: number;
    /** Handed to a worker and not settled: running, or next in that worker's window. */
    running: number;
    /** Settled with a result. */
    completed: number;
    /** Settled with an error: thrown by the call, a timeout, a signal, a dead worker, a broken pool. */
    failed: number;
    /** Cancelled before they started. */
    cancelled: number;
  };
  /**
   * The share of the pool's capacity spent running calls since it was created: busy time the
   * workers report over (time since construction × maxWorkers), from 0 to 1.
   */
  utilization: number;
  /** How long calls ran, in a worker, per call. */
  runTime: TimeStats;
  /** How long calls waited in the pool's queue before being handed to a worker. */
  waitTime: TimeStats;
}

/** Sub-buckets per power of two: 4 keeps each bucket within ±12% of its midpoint. */
const SUB_BITS = 2;
const SUB = 1 << SUB_BITS;
/** Times are bucketed in microseconds; 2^31 µs (35 minutes) and above share the last bucket. */
const BUCKETS = 32 * SUB;

/**
 * A histogram of times on log-scale buckets: each power of two of microseconds split in 4. Recording
 * is two bit operations and an increment; percentiles are read from the counts. Values are
 * approximate by design (the midpoint of their bucket), which is what a pool's user needs to see
 * where time goes, at no cost worth measuring.
 */
export class LogHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;

  /** Records `times` observations of `ms` milliseconds. */
  record(ms: number, times = 1): void {
    this.#counts[bucketOf(ms)]! += times;
    this.#total += times;
  }

  get count(): number {
    return this.#total;
  }

  /** The mean of the recorded times, from bucket midpoints (ms). */
  mean(): number {
    if (this.#total === 0) return 0;
    let sum = 0;
    for (let index = 0; index < BUCKETS; index++) sum += this.#counts[index]! * midpointOf(index);
    return sum / this.#total;
  }

  summary(): TimeStats {
    return {
      count: this.#total,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.percentile(1),
    };
  }

  /** The midpoint (ms) of the bucket holding the `q` quantile; 0 when nothing was recorded. */
  percentile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank) return midpointOf(index);
    }
    return midpointOf(BUCKETS - 1);
  }
}

function bucketOf(ms: number): number {
  const us = ms >= 2147483 ? 0x7fffffff : ms > 0 ? (ms * 1000) >>> 0 : 0;
  if (us < SUB) return us; // 0..3 µs: one bucket each
  const exponent = 31 - Math.clz32(us); // floor(log2(us)), >= SUB_BITS here
  const sub = (us >>> (exponent - SUB_BITS)) & (SUB - 1);
  return (exponent - SUB_BITS + 1) * SUB + sub;
}

/** Inverse of bucketOf: the middle of the bucket's range, in ms. */
function midpointOf(index: number): number {
  if (index < SUB) return index / 1000;
  const exponent = Math.floor(index / SUB) - 1 + SUB_BITS;
  const sub = index % SUB;
  const width = 2 ** (exponent - SUB_BITS);
  const low = 2 ** exponent + sub * width;
  return (low + width / 2) / 1000;
}
