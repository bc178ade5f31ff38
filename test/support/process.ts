import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { inject } from "vitest";

export const BIN = fileURLToPath(new URL("../../bin/rapport.js", import.meta.url));

export function tempDataDir(): string {
  return join(mkdtempSync(join(tmpdir(), "rapport-test-")), "data");
}

/**
 * A data directory holding an already migrated embedded database, copied from the run's
 * template (see pglite-template.ts): a process starting on it skips creating the cluster, some
 * five seconds of CPU. For tests about something else than the first start.
 */
export async function migratedDataDir(): Promise<string> {
  const dir = tempDataDir();
  const template = inject("pgliteTemplate");
  if (!template) return dir;
  const database = new PGlite(dir, { loadDataDir: new Blob([await readFile(template)]) });
  await database.waitReady;
  await database.close();
  return dir;
}

/** Env for a child process: only what the test names, plus PATH and HOME. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Waits for the process to exit by itself. */
  exited: Promise<number | null>;
}

/** Starts `rapport serve` on a free port and waits for its "listening" log line. */
export function startServer(env: Record<string, string>): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: childEnv({ PORT: "0", HOST: "127.0.0.1", WORKER_ENABLED: "false", ...env }),
    });
    let output = "";
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          baseUrl: match[1]!,
          output: () => output,
          exited,
          stop: (signal = "SIGTERM") => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}
