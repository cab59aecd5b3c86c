/**
 * Interleaved rounds (relay, Parley, relay, Parley, …) and their medians. On a shared machine
 * one round's throughput moves with whatever else runs; pairs measured back to back and the
 * median of their ratios tell an optimisation from noise. CPU per delivery is the other guard:
 * the server's own CPU time (user + system from /proc/<pid>/stat over the timed part) divided by
 * the deliveries it made, which moves far less with the load than a rate does.
 */
import type { Figure, Settings } from "./scenario.ts";

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Pair<T> {
  relay: T;
  parley: T;
}

/** Runs `round` settings.rounds times; each round measures the relay, then Parley. */
export async function interleave<T>(
  settings: Settings,
  name: string,
  round: (index: number) => Promise<Pair<T>>,
): Promise<Pair<T>[]> {
  const pairs: Pair<T>[] = [];
  for (let i = 0; i < settings.rounds; i++) {
    if (settings.rounds > 1) settings.log(`${name}: round ${i + 1} of ${settings.rounds}`);
    pairs.push(await round(i));
  }
  return pairs;
}

/** Median of each side and median of the per-round ratios (Parley ÷ relay). */
export function medians<T>(pairs: readonly Pair<T>[], of: (r: T) => number) {
  return {
    parley: median(pairs.map((p) => of(p.parley))),
    relay: median(pairs.map((p) => of(p.relay))),
    ratio: median(pairs.map((p) => of(p.parley) / of(p.relay))),
  };
}

export interface CpuSample {
  cpuMicros: number;
  deliveries: number;
}

/** Server CPU µs per delivery, Parley's (held to ≤ 1.2× the relay's) and the relay's. */
export function cpuFigures(pairs: readonly Pair<CpuSample>[]): Record<string, Figure> {
  const m = medians(pairs, (r) => r.cpuMicros / r.deliveries);
  return {
    cpuPerDelivery: {
      label: "server CPU per delivery",
      value: m.parley,
      unit: "µs",
      ratio: m.ratio,
      target: { kind: "max", value: 1.2, ofRelay: true },
    },
    relayCpuPerDelivery: { label: "relay server CPU per delivery", value: m.relay, unit: "µs" },
  };
}
