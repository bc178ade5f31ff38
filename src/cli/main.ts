import { parseArgs } from "node:util";
import pino from "pino";
import { isScope, keyName } from "../apikeys/scopes.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { DataDirBusyError } from "../db/data-dir-lock.ts";
import { createLogger } from "../logger.ts";
import { runServer } from "../server.ts";
import { keysCommand } from "./keys.ts";

const USAGE = `Usage: rapport <command>

Commands:
  serve                                   start the HTTP server (and the in-process worker)
  worker                                  run only the background worker (sending, retries)
  keys create --name NAME --scopes a,b    make an API key; prints only the key
  keys list                               list keys (never their secrets)
  keys revoke ID                          revoke a key
  migrate                                 apply database migrations and exit
  demo [--days N]                         fill an empty database with N (90) days of demo data

Configuration comes from the environment; see the README.`;

export class UsageError extends Error {
  override name = "UsageError";
}

/** Runs one command; answers the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const config = loadConfig();
    switch (command) {
      case "serve":
        await runServer(config, createLogger(config.LOG_LEVEL));
        return 0;
      case "keys":
        return await keysCommand(config, cliLogger(config), rest, parseKeyArgs);
      case "worker":
        return await workerCommand(config);
      case "demo": {
        const { demoCommand } = await import("./demo.ts");
        return await demoCommand(config, cliLogger(config), rest);
      }
      case "migrate":
        return await migrateCommand(config);
      case undefined:
      case "help":
      case "--help":
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`rapport: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DataDirBusyError) {
      process.stderr.write(`rapport: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Commands whose stdout is their answer log to stderr. */
function cliLogger(config: Config) {
  return createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, pino.destination(2));
}

async function workerCommand(config: Config): Promise<number> {
  const { runWorker } = await import("../worker/process.ts");
  await runWorker(config, createLogger(config.LOG_LEVEL));
  return 0;
}

async function migrateCommand(config: Config): Promise<number> {
  const { openConfiguredDatabase, describeDatabase } = await import("../runtime.ts");
  const database = await openConfiguredDatabase(config);
  await database.close();
  process.stderr.write(`rapport: ${describeDatabase(config)} is migrated.\n`);
  return 0;
}

export interface KeyArgs {
  positionals: string[];
  name?: string;
  scopes?: string[];
}

export function parseKeyArgs(args: string[]): KeyArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      // `--scopes a --scopes b` is `--scopes a,b`, not the last one alone.
      options: { name: { type: "string" }, scopes: { type: "string", multiple: true } },
    });
    const scopes = values.scopes
      ?.flatMap((list) => list.split(","))
      .map((scope) => scope.trim())
      .filter(Boolean);
    const unknown = scopes?.filter((scope) => !isScope(scope));
    if (unknown?.length) throw new UsageError(`Unknown scope(s): ${unknown.join(", ")}.`);
    let name: string | undefined;
    if (values.name !== undefined) {
      const parsed = keyName.safeParse(values.name);
      if (!parsed.success) {
        throw new UsageError(`--name ${parsed.error.issues[0]?.message ?? "is invalid"}.`);
      }
      name = parsed.data;
    }
    return {
      positionals,
      ...(name !== undefined ? { name } : {}),
      ...(scopes ? { scopes: [...new Set(scopes)] } : {}),
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}
