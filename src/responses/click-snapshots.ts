import type { Db } from "../db/client.ts";
import type { ClickSnapshot } from "./click-statements.ts";

/**
 * Snapshots of the invitations clicked lately in this process, by token hash, so a repeat click
 * is decided without reading its invitation again (see `recordClick`). A snapshot is only ever
 * a guess: a click decided on it is kept only if the invitation's click version, link state and
 * send and delivery times are still the ones it holds, checked by the statement that keeps the
 * click, which also reads the page data no version covers. Any other outcome reads the
 * invitation afresh. Nothing here is needed by another process or survives a restart.
 */
const byDatabase = new WeakMap<Db, Map<string, ClickSnapshot>>();

/**
 * At most this many per process, the least recently kept dropped first: a few kilobytes each
 * (the server's resident memory grew by 8-16 MB with 5,000 under the click bench).
 */
const LIMIT = 5_000;

export function cachedSnapshot(db: Db, tokenHash: string): ClickSnapshot | undefined {
  return byDatabase.get(db)?.get(tokenHash);
}

export function keepSnapshot(db: Db, tokenHash: string, snapshot: ClickSnapshot): void {
  let snapshots = byDatabase.get(db);
  if (!snapshots) {
    snapshots = new Map();
    byDatabase.set(db, snapshots);
  }
  // A Map iterates in insertion order: re-inserting makes the entry the newest.
  snapshots.delete(tokenHash);
  snapshots.set(tokenHash, snapshot);
  if (snapshots.size > LIMIT) snapshots.delete(snapshots.keys().next().value!);
}

export function forgetSnapshot(db: Db, tokenHash: string): void {
  byDatabase.get(db)?.delete(tokenHash);
}
