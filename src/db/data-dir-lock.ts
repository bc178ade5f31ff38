import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { ConfigError } from "../config.ts";

export class DataDirBusyError extends Error {
  override name = "DataDirBusyError";
}

/**
 * Makes a directory and its missing parents one at a time: Node's recursive `mkdirSync` never
 * returns for some paths a file system refuses without saying why (`/proc/x`).
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let path = dir;
  while (!existsSync(path)) {
    missing.unshift(path);
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }
  for (const each of missing) {
    try {
      mkdirSync(each);
    } catch (error) {
      // Made meanwhile by another process starting on the same directory.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  if (!statSync(dir).isDirectory()) {
    throw Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" });
  }
}

/** A data directory that cannot be made or written (a file, no permission): one line naming it. */
function unusableDataDir(dir: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ConfigError(
    `Invalid configuration: DATA_DIR ${JSON.stringify(dir)} cannot be used as a writable directory (${code})`,
  );
}

export interface DataDirLock {
  release(): void;
}

/** How often the holder touches its lock file, from a thread of its own. */
export const HEARTBEAT_MS = 2_000;
/** A lock file untouched this long belongs to a process that is gone. */
export const STALE_MS = 10_000;

/**
 * What a lock file says: its holder's pid, PID namespace and process start time (a pid reused by
 * another program has another start time), and the holder's own mark.
 */
interface LockRecord {
  pid: number;
  ns: string | null;
  started: string | null;
  nonce: string | null;
}

/**
 * The embedded database is one process: a second process opening the same files would
 * corrupt them. A lock file held for the life of the process keeps the server, a worker and the
 * CLI from sharing a data directory, also from other containers sharing the volume. A holder in
 * this PID namespace is judged by its process: alive (even stopped) holds, gone or replaced by
 * another program (another start time) does not. A holder elsewhere is judged by its heartbeat:
 * it touches the file every two seconds from a thread of its own (a busy event loop does not
 * stop it), and a file untouched for ten seconds is stale. Only the holder removes its lock.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  try {
    makeDirectory(dir);
  } catch (error) {
    throw unusableDataDir(dir, error);
  }
  const path = join(dir, "rapport.lock");
  const mine: LockRecord = {
    pid: process.pid,
    ns: pidNamespace(),
    started: startTimeOf(process.pid),
    nonce: randomUUID(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      return holdLock(path, mine.nonce!);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw unusableDataDir(dir, error);
      const text = readText(path);
      const holder = text === undefined ? undefined : parseRecord(text);
      if (holder && !isStale(path, holder, mine.ns)) {
        throw new DataDirBusyError(
          `The data directory ${dir} is in use by another rapport process (pid ${holder.pid}). ` +
            "Stop it first, or set DATABASE_URL to share a PostgreSQL server.",
        );
      }
      if (text !== undefined && !removeStaleLock(path, text)) {
        // Another process is taking the stale lock over: see who ends up holding it.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  throw new DataDirBusyError(`Could not lock the data directory ${dir}.`);
}

/**
 * Removes a lock judged stale, unless another process did so and took the directory meanwhile:
 * processes starting together after a crash all judge the same dead lock stale, and removing it
 * blindly could remove the new lock of the first of them. One at a time (a gate file created
 * exclusively), each removes the lock only while it still is the one it judged. False when the
 * gate was held by another process; a gate left by a process that died holding it is removed
 * once stale, for the next attempt.
 */
export function removeStaleLock(path: string, judged: string): boolean {
  const gate = `${path}.takeover`;
  try {
    closeSync(openSync(gate, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      if (Date.now() - statSync(gate).mtimeMs > STALE_MS) rmSync(gate, { force: true });
    } catch {
      // Removed by its owner meanwhile.
    }
    return false;
  }
  try {
    if (readText(path) === judged) rmSync(path, { force: true });
  } finally {
    rmSync(gate, { force: true });
  }
  return true;
}

function holdLock(path: string, nonce: string): DataDirLock {
  // A thread of its own keeps the file fresh while the main thread runs long queries; it stops
  // if the file is no longer ours (taken over after we were thought gone).
  const heartbeat = new Worker(
    `const { readFileSync, utimesSync } = require("node:fs");
     const { workerData } = require("node:worker_threads");
     const beat = setInterval(() => {
       try {
         if (JSON.parse(readFileSync(workerData.path, "utf8")).nonce !== workerData.nonce) {
           clearInterval(beat);
           return;
         }
         const now = new Date();
         utimesSync(workerData.path, now, now);
       } catch {}
     }, workerData.every);`,
    { eval: true, workerData: { path, nonce, every: HEARTBEAT_MS } },
  );
  // A heartbeat that cannot run leaves the lock to go stale; it never takes the process down.
  heartbeat.on("error", () => {});
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

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readRecord(path: string): LockRecord | undefined {
  const text = readText(path);
  return text === undefined ? undefined : parseRecord(text);
}

function parseRecord(text: string): LockRecord {
  try {
    const parsed = JSON.parse(text.trim()) as Partial<LockRecord> | number;
    // A lock from before heartbeats: its pid is all there is.
    if (typeof parsed === "number") return { pid: parsed, ns: null, started: null, nonce: null };
    if (typeof parsed.pid === "number") {
      return {
        pid: parsed.pid,
        ns: parsed.ns ?? null,
        started: parsed.started ?? null,
        nonce: parsed.nonce ?? null,
      };
    }
  } catch {
    // Unreadable: written by something else, or cut short by a crash.
  }
  return { pid: Number.NaN, ns: null, started: null, nonce: null };
}

function isStale(path: string, holder: LockRecord, ns: string | null): boolean {
  // A lock from before heartbeats: stale when its pid is gone, as it always was.
  if (holder.nonce === null && Number.isInteger(holder.pid)) return !isAlive(holder.pid);
  // Written in our own PID namespace: the process itself tells, however long it has been
  // stopped (Ctrl-Z, a paused container); a pid now used by another program has another start.
  if (ns !== null && holder.ns === ns && Number.isInteger(holder.pid)) {
    return (
      !isAlive(holder.pid) ||
      (holder.started !== null && startTimeOf(holder.pid) !== holder.started)
    );
  }
  // Elsewhere (another container, or a system without /proc): only the heartbeat tells.
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_MS;
  } catch {
    return true;
  }
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

/** The process's start time in clock ticks since boot (`/proc/<pid>/stat`), if known. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
}
