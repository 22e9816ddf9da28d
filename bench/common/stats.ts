/** Nearest-rank percentile of unsorted values (p in 0..100); null when there are none. */
export const percentile = (values: readonly number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
};

/** The median of the values that are numbers; null when there are none. */
export const median = (values: readonly (number | null | undefined)[]): number | null => {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
};

export const round = (n: number | null, digits = 1): number | null => (n === null ? null : Number(n.toFixed(digits)));
