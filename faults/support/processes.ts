import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = `${ROOT}bin/rapport.js`;

/** A `rapport serve` or `rapport worker` child process. */
export interface RapportProcess {
  child: ChildProcess;
  /** The server's URL (empty for a worker). */
  baseUrl: string;
  output(): string;
  exited: Promise<number | null>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const READY = {
  serve: /"url":"(http:\/\/[^"]+)"/,
  worker: /rapport worker started/,
} as const;

/**
 * Starts `rapport serve` (on a free loopback port, its in-process worker off unless the env
 * says otherwise) or `rapport worker`, and waits for its start-up log line.
 */
export function startRapport(
  command: "serve" | "worker",
  env: Record<string, string>,
): Promise<RapportProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, command], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORT: "0",
        HOST: "127.0.0.1",
        WORKER_ENABLED: "false",
        // The start-up line that says where it listens is an info line.
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`rapport ${command} did not start:\n${output.slice(-2000)}`));
    }, 60_000);
    let ready = false;
    const onData = (chunk: Buffer) => {
      // Bounded: a long run keeps only the recent output.
      output = (output + chunk.toString("utf8")).slice(-200_000);
      const match = READY[command].exec(output);
      if (match && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve({
          child,
          baseUrl: match[1] ?? "",
          output: () => output,
          exited,
          stop: (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      if (!ready)
        reject(new Error(`rapport ${command} exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}

/**
 * Stops every process still running, politely, then for good after a grace period; answers each
 * one's exit code (null when it had to be killed, or died of a signal).
 */
export async function stopAll(processes: RapportProcess[]): Promise<Array<number | null>> {
  return Promise.all(
    processes.map(async (proc) => {
      const timer = setTimeout(() => proc.child.kill("SIGKILL"), 15_000);
      const code = await proc.stop("SIGTERM");
      clearTimeout(timer);
      return code;
    }),
  );
}

/** Polls `check` every `everyMs` until it answers true or `timeoutMs` passes; answers the last check. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
