import postgres from "postgres";

/**
 * Makes a race deterministic on PostgreSQL: a second connection holds a row lock (`lockSql`)
 * while each step's request starts and is seen waiting for a lock (`waiters` sessions waiting in
 * all), or, for a step that waits for nothing, has finished (`finishes`), in order; then the
 * lock goes (committed, or rolled back with `release: "rollback"`) and every request runs on.
 * What each step answered, in step order.
 */
export async function withRowLocked<T>(
  url: string,
  lockSql: (tx: postgres.ReservedSql) => Promise<unknown>,
  steps: Array<
    { start: () => Promise<T>; waiters: number } | { start: () => Promise<T>; finishes: true }
  >,
  options: { release?: "commit" | "rollback" } = {},
): Promise<T[]> {
  const other = postgres(url, { max: 2, onnotice: () => {} });
  const waitingFor = async (n: number) => {
    for (let i = 0; i < 400; i++) {
      const [row] = await other`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if (row!.n >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("nobody waited for the lock");
  };
  const locker = await other.reserve();
  const started: Array<Promise<T>> = [];
  try {
    await locker`begin`;
    await lockSql(locker);
    for (const step of steps) {
      const running = step.start();
      started.push(running);
      if ("finishes" in step) await running;
      else await waitingFor(step.waiters);
    }
    await (options.release === "rollback" ? locker`rollback` : locker`commit`);
    return await Promise.all(started);
  } finally {
    locker.release();
    await other.end();
  }
}
