import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
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

  it("takes over a lock nobody touched for the stale time, even if its pid now runs another program", async () => {
    const unrelated = spawn("sleep", ["30"]);
    try {
      const dir = freshDir();
      writeFileSync(
        lockOf(dir),
        JSON.stringify({ pid: unrelated.pid, ns: ownNamespace(), nonce: "old" }),
      );
      utimesSync(lockOf(dir), ago(STALE_MS + 5000), ago(STALE_MS + 5000));
      const lock = await acquireDataDirLock(dir);
      released.push(lock.release);
      expect(JSON.parse(readFileSync(lockOf(dir), "utf8")).pid).toBe(process.pid);
    } finally {
      unrelated.kill();
    }
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
});
