/**
 * A function's results kept for repeated arguments, at most `limit` of them: when full, it
 * starts over (for the values memoised here, arguments repeat heavily and misses are cheap).
 * Per process and never shared: a miss only costs the computation again.
 */
export function boundedMemo<V>(limit: number, compute: (key: string) => V): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    if (known.has(key)) return known.get(key) as V;
    const value = compute(key);
    if (known.size >= limit) known.clear();
    known.set(key, value);
    return value;
  };
}
