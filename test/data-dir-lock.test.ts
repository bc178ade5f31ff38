import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  acquireDataDirLock,
  DataDirBusyError,
  HEARTBEAT_MS,
  removeStaleLock,
  STALE_MS,
} from "../src/db/data-dir-lock.ts";

const released: Array<() => void> = [];
afterAll(() => {
  for (const release of released) release();
});

const freshDir = () => mkdtempSync(join(tmpdir(), "rapport-lock-"));
const ago = (ms: number) => new Date(Date.now() - ms);
const ownNamespace = () => JSON.parse(readFileSync(lockOf(probeDir), "utf8")).ns as string | null;
const lockOf = (dir: string) => join(dir, "rapport.lock");
/** A process's start time as the lock records it (`/proc/<pid>/stat`, field 22). */
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
};

// A lock taken once, to learn this process's PID namespace as the lock records it.
const probeDir = freshDir();
released.push((await acquireDataDirLock(probeDir)).release);

describe("the data directory lock", () => {
  it("refuses a fresh lock, also one written in another PID namespace whose pid means nothing here", async () => {
    const dir = freshDir();
    // As a server in another container sharing the volume writes it: its pid is not ours to check.
    writeFileSync(lockOf(dir), JSON.stringify({ pid: 999_999, ns: "pid:[1]", nonce: "theirs" }));
    await expect(acquireDataDirLock(dir)).rejects.toThrow(DataDirBusyError);
    expect(existsSync(lockOf(dir))).toBe(true);
  });

  it("takes over a lock whose pid now runs another program (another start time)", async () => {
    const unrelated = spawn("sleep", ["30"]);
    try {
      const dir = freshDir();
      writeFileSync(
        lockOf(dir),
        JSON.stringify({ pid: unrelated.pid, ns: ownNamespace(), started: "1", nonce: "old" }),
      );
      const lock = await acquireDataDirLock(dir);
      released.push(lock.release);
      expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).pid).toBe(process.pid);
    } finally {
      unrelated.kill();
    }
  });

  it("leaves the lock of a live holder in this namespace, however long its heartbeat stopped (Ctrl-Z)", async () => {
    const holder = spawn("sleep", ["30"]);
    try {
      const dir = freshDir();
      const started = startOf(holder.pid!);
      writeFileSync(
        lockOf(dir),
        JSON.stringify({ pid: holder.pid, ns: ownNamespace(), started, nonce: "stopped" }),
      );
      utimesSync(lockOf(dir), ago(60_000), ago(60_000));
      await expect(acquireDataDirLock(dir)).rejects.toThrow(DataDirBusyError);
      // A lock from before heartbeats (a bare pid) is judged by its pid alone, too.
      writeFileSync(lockOf(dir), String(holder.pid));
      utimesSync(lockOf(dir), ago(60_000), ago(60_000));
      await expect(acquireDataDirLock(dir)).rejects.toThrow(DataDirBusyError);
    } finally {
      holder.kill();
    }
  });

  it("takes over a lock from another namespace once its heartbeat stopped for the stale time", async () => {
    const dir = freshDir();
    writeFileSync(lockOf(dir), JSON.stringify({ pid: 1, ns: "pid:[1]", nonce: "gone" }));
    utimesSync(lockOf(dir), ago(STALE_MS + 5000), ago(STALE_MS + 5000));
    const lock = await acquireDataDirLock(dir);
    released.push(lock.release);
    expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).pid).toBe(process.pid);
  });

  it("takes over at once a lock of this namespace whose process is gone (kill -9)", async () => {
    const dir = freshDir();
    writeFileSync(lockOf(dir), JSON.stringify({ pid: 999_999, ns: ownNamespace(), nonce: "dead" }));
    const lock = await acquireDataDirLock(dir);
    released.push(lock.release);
    expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).nonce).not.toBe("dead");
  });

  it("keeps its lock fresh from a thread of its own, and removes only its own", async () => {
    const dir = freshDir();
    const lock = await acquireDataDirLock(dir);
    utimesSync(lockOf(dir), ago(60_000), ago(60_000));
    // The main thread is busy (a long query on the embedded database): the heartbeat goes on.
    const until = Date.now() + HEARTBEAT_MS + 500;
    while (Date.now() < until) {}
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Date.now() - statSync(lockOf(dir)).mtimeMs).toBeLessThan(HEARTBEAT_MS + 1000);

    // Taken over meanwhile (we were thought gone): releasing leaves the new holder's lock.
    writeFileSync(lockOf(dir), JSON.stringify({ pid: 12345, ns: "pid:[1]", nonce: "new" }));
    lock.release();
    expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).nonce).toBe("new");
  });

  it("processes taking over one stale lock together: one at a time, none removes the winner's", async () => {
    const dir = freshDir();
    const dead = JSON.stringify({ pid: 999_999, ns: ownNamespace(), nonce: "dead" });
    writeFileSync(lockOf(dir), dead);
    // Another process is taking it over (its gate is fresh): we neither remove it nor take it.
    writeFileSync(`${lockOf(dir)}.takeover`, "");
    await expect(acquireDataDirLock(dir)).rejects.toThrow(DataDirBusyError);
    expect(readFileSync(lockOf(dir), "utf8")).toBe(dead);

    // That process took it: the dead lock we judged is gone, and its new one stays.
    const winner = JSON.stringify({ pid: 4242, ns: "pid:[1]", nonce: "winner" });
    writeFileSync(lockOf(dir), winner);
    rmSync(`${lockOf(dir)}.takeover`);
    expect(removeStaleLock(lockOf(dir), dead)).toBe(true);
    expect(readFileSync(lockOf(dir), "utf8")).toBe(winner);
    expect(existsSync(`${lockOf(dir)}.takeover`)).toBe(false);

    // A gate left by a process that died taking over does not block for ever.
    writeFileSync(lockOf(dir), dead);
    writeFileSync(`${lockOf(dir)}.takeover`, "");
    utimesSync(`${lockOf(dir)}.takeover`, ago(STALE_MS + 5000), ago(STALE_MS + 5000));
    const lock = await acquireDataDirLock(dir);
    released.push(lock.release);
    expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).pid).toBe(process.pid);
  });
});
