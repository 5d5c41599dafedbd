// The figures of one run, as written to benchmarks/results/*.json, and the few derived numbers
// (medians, parallel efficiency) that the targets and the report read from them.

import type { Group, Kind } from './plan.js';
import type { SampleEnvironment } from './environment.js';

export interface LibraryResult {
  samples: number[];
  unit?: string;
  details: Record<string, unknown>[];
  skip?: string;
  errors: string[];
  warnings: string[];
}

export interface GroupResult {
  id: string;
  section: Group['section'];
  workload: string;
  workers: number;
  libraries: Record<string, LibraryResult>;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  python: string | null;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export interface RunResults {
  date: string;
  commit: string;
  /** Files in the working tree differ from the commit (the build measured is the working tree). */
  dirty: boolean;
  machine: Machine;
  options: { rounds: number; quick: boolean; only: string[] | null };
  versions: Record<string, string>;
  durationSeconds?: number;
  /** Variables taken out of every sample's environment (runner/environment.ts); absent in older runs. */
  environment?: SampleEnvironment;
  groups: GroupResult[];
  targets?: unknown[];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class ResultsView {
  readonly #byId: Map<string, GroupResult>;

  constructor(readonly results: RunResults) {
    this.#byId = new Map(results.groups.map((g) => [g.id, g]));
  }

  group(id: string): GroupResult | undefined {
    return this.#byId.get(id);
  }

  lib(groupId: string, lib: string): LibraryResult | undefined {
    return this.#byId.get(groupId)?.libraries[lib];
  }

  median(groupId: string, lib: string): number | undefined {
    const result = this.lib(groupId, lib);
    return result ? median(result.samples) : undefined;
  }

  /** Serial time / (pool time × workers), the serial time of the same language from primes@2. */
  efficiency(groupId: string, lib: string): number | undefined {
    return this.#efficiency(groupId, lib, median);
  }

  /**
   * The same from the fastest samples: the least disturbed by other jobs on the machine, so on a
   * busy machine the closer to what the pool can do (both times are minima).
   */
  bestEfficiency(groupId: string, lib: string): number | undefined {
    return this.#efficiency(groupId, lib, (values) =>
      values.length ? Math.min(...values) : undefined,
    );
  }

  #efficiency(
    groupId: string,
    lib: string,
    pick: (values: readonly number[]) => number | undefined,
  ): number | undefined {
    const group = this.group(groupId);
    const serialLib = lib.startsWith('python-') ? 'python-serial' : 'serial';
    const poolTime = pick(this.lib(groupId, lib)?.samples ?? []);
    const serial = pick(this.lib('primes@2', serialLib)?.samples ?? []);
    if (!group || poolTime === undefined || serial === undefined) return undefined;
    return serial / (poolTime * group.workers);
  }
}

export const KIND_LABEL: Record<Kind, string> = {
  threads: 'threads',
  processes: 'processes',
  eventloop: 'event loop',
  queue: 'queue',
  serial: 'serial',
};
