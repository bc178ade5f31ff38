import { createApiKey, listApiKeys, revokeApiKey } from "../apikeys/keys.ts";
import type { Scope } from "../apikeys/scopes.ts";
import type { Config } from "../config.ts";
import { systemClock } from "../context.ts";
import { UUID } from "../http/page-cursor.ts";
import type { Logger } from "../logger.ts";
import { openConfiguredDatabase } from "../runtime.ts";
import { type KeyArgs, UsageError } from "./main.ts";

/** `rapport keys create|list|revoke`: `create` prints the new key and nothing else on stdout. */
export async function keysCommand(
  config: Config,
  logger: Logger,
  args: string[],
  parse: (args: string[]) => KeyArgs,
): Promise<number> {
  const { positionals, name, scopes } = parse(args);
  const [action, id, ...extra] = positionals;
  if (action === "create" && (!name || !scopes?.length)) {
    throw new UsageError("keys create needs --name NAME and --scopes scope1,scope2.");
  }
  // A name with a space given unquoted (`--name my key`) leaves a word behind: say so.
  const stray = action === "revoke" ? extra : positionals.slice(1);
  if (stray.length > 0) {
    throw new UsageError(
      `Unexpected ${stray.map((word) => `"${word}"`).join(", ")} (quote a name with spaces).`,
    );
  }
  if (action === "revoke" && !id) throw new UsageError("keys revoke needs the key's ID.");
  // Before the database is opened: a usage error, also while a server holds the data directory.
  if (action === "revoke" && !UUID.test(id!)) throw new UsageError(`"${id}" is not a key ID.`);
  if (action !== "create" && action !== "list" && action !== "revoke") {
    throw new UsageError("Use keys create, keys list or keys revoke.");
  }
  const database = await openConfiguredDatabase(config);
  const ctx = { db: database.db, clock: systemClock };
  try {
    if (action === "create") {
      const { key, apiKey } = await createApiKey({
        ctx,
        input: { name: name!, scopes: scopes as Scope[] },
      });
      logger.info({ id: apiKey.id, name: apiKey.name, scopes: apiKey.scopes }, "API key created");
      process.stdout.write(`${key}\n`);
      return 0;
    }
    if (action === "list") {
      for (const key of await listApiKeys({ ctx })) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : "active";
        process.stdout.write(
          `${key.id}\t${key.prefix}…\t${key.name}\t${key.scopes.join(",")}\t${state}\n`,
        );
      }
      return 0;
    }
    const revoked = await revokeApiKey({ ctx, input: { id: id! } });
    if (!revoked) {
      process.stderr.write(`rapport: no API key has the ID ${id}.\n`);
      return 1;
    }
    process.stderr.write(`rapport: revoked ${revoked.id} (${revoked.name}).\n`);
    return 0;
  } finally {
    await database.close();
  }
}
