/**
 * The requests a server process is handling. A shutdown waits for them before it closes the
 * database: a request whose client has gone away still has its transaction to finish, and the
 * HTTP server no longer knows about it once the socket is closed.
 */
export class InFlightRequests {
  private count = 0;
  private waiting: Array<() => void> = [];

  get active(): number {
    return this.count;
  }

  /** Counts `handle` as in flight until it settles. */
  async track<T>(handle: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await handle();
    } finally {
      this.count--;
      if (this.count === 0) for (const resolve of this.waiting.splice(0)) resolve();
    }
  }

  /** Resolves once no request is in flight. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
