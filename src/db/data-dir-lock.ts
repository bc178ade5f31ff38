import { randomUUID } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";

export class DataDirBusyError extends Error {
  override name = "DataDirBusyError";
}

export interface DataDirLock {
  release(): void;
}

/** How often the holder touches its lock file, from a thread of its own. */
export const HEARTBEAT_MS = 2_000;
/** A lock file untouched this long belongs to a process that is gone. */
export const STALE_MS = 10_000;

/** What a lock file says: its holder, the holder's PID namespace, and the holder's own mark. */
interface LockRecord {
  pid: number;
  ns: string | null;
  nonce: string | null;
}

/**
 * The embedded database is one process: a second process opening the same files would
 * corrupt them. A lock file held for the life of the process keeps the server, a worker and the
 * CLI from sharing a data directory, also from other containers sharing the volume: its holder
 * touches it every two seconds from a thread of its own (a busy event loop does not stop it), so
 * a file untouched for ten seconds is stale wherever it was written. A holder in this PID
 * namespace is also known dead at once when its pid is gone; a pid that now belongs to another
 * program does not keep a stale lock alive. Only the holder removes its own lock.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "rapport.lock");
  const mine: LockRecord = { pid: process.pid, ns: pidNamespace(), nonce: randomUUID() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      return holdLock(path, mine.nonce!);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readRecord(path);
      if (holder && !isStale(path, holder, mine.ns)) {
        throw new DataDirBusyError(
          `The data directory ${dir} is in use by another rapport process (pid ${holder.pid}). ` +
            "Stop it first, or set DATABASE_URL to share a PostgreSQL server.",
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`Could not lock the data directory ${dir}.`);
}

function holdLock(path: string, nonce: string): DataDirLock {
  // A thread of its own keeps the file fresh while the main thread runs long queries.
  const heartbeat = new Worker(
    `const { utimesSync } = require("node:fs");
     const { workerData } = require("node:worker_threads");
     setInterval(() => {
       const now = new Date();
       try { utimesSync(workerData.path, now, now); } catch {}
     }, workerData.every);`,
    { eval: true, workerData: { path, every: HEARTBEAT_MS } },
  );
  heartbeat.unref();
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      void heartbeat.terminate();
      // Only our own: a lock taken over after we were thought gone is someone else's now.
      if (readRecord(path)?.nonce === nonce) rmSync(path, { force: true });
    },
  };
}

function readRecord(path: string): LockRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord> | number;
    if (typeof parsed === "number") return { pid: parsed, ns: null, nonce: null };
    if (typeof parsed.pid === "number") {
      return { pid: parsed.pid, ns: parsed.ns ?? null, nonce: parsed.nonce ?? null };
    }
  } catch {
    // Unreadable: written by something else, or cut short by a crash.
  }
  return { pid: Number.NaN, ns: null, nonce: null };
}

function isStale(path: string, holder: LockRecord, ns: string | null): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return true;
  }
  if (age > STALE_MS) return true;
  // Our own PID namespace (or a lock from before namespaces were recorded): the pid tells.
  const sameNamespace = holder.ns === null || holder.ns === ns;
  return sameNamespace && Number.isInteger(holder.pid) && !isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
}
