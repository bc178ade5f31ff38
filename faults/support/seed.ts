import { randomBytes } from "node:crypto";
import { createApiKey } from "../../src/apikeys/keys.ts";
import type { Scope } from "../../src/apikeys/scopes.ts";
import type { Db } from "../../src/db/client.ts";
import { clients, contacts, invitations, surveys } from "../../src/db/schema/index.ts";
import { issueToken } from "../../src/surveys/tokens.ts";

/** One instance secret for every process of a scenario, so the script can derive link tokens. */
export function scenarioSecret(): string {
  return randomBytes(32).toString("base64url");
}

export interface SeededInvitation {
  id: string;
  email: string;
  token: string;
}

/**
 * `count` invitations of a fresh csat3 survey, each to its own contact: `due` ones wait for the
 * worker (due now), `sent` ones went out an hour ago and can be clicked.
 */
export async function seedInvitations(
  db: Db,
  secret: string,
  count: number,
  state: "due" | "sent",
): Promise<SeededInvitation[]> {
  const tag = randomBytes(4).toString("hex");
  const [survey] = await db
    .insert(surveys)
    .values({ key: `fault-${tag}`, scale: "csat3", trigger: "manual", questions: { en: "How?" } })
    .returning({ id: surveys.id });
  const [client] = await db
    .insert(clients)
    .values({ externalId: `fault-${tag}`, name: "Fault client" })
    .returning({ id: clients.id });
  const seeded: SeededInvitation[] = [];
  // Chunks keep each insert well under PostgreSQL's parameter limit.
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    const people = await db
      .insert(contacts)
      .values(
        Array.from({ length: size }, (_, i) => ({
          clientId: client!.id,
          externalId: `fault-${tag}-${start + i}`,
          email: `person-${start + i}@fault-${tag}.example`,
          name: `Person ${start + i}`,
          locale: "en",
        })),
      )
      .returning({ id: contacts.id, email: contacts.email });
    const now = Date.now();
    const sentAt = new Date(now - 3_600_000);
    const tokens = people.map(() => issueToken(secret));
    const rows = await db
      .insert(invitations)
      .values(
        people.map((person, i) => ({
          surveyId: survey!.id,
          contactId: person.id,
          clientId: client!.id,
          tokenNonce: tokens[i]!.tokenNonce,
          tokenHash: tokens[i]!.tokenHash,
          status: state === "due" ? ("scheduled" as const) : ("sent" as const),
          sendAt: state === "due" ? new Date(now - 1000) : sentAt,
          nextAttemptAt: state === "due" ? new Date(now - 1000) : sentAt,
          sentAt: state === "due" ? null : sentAt,
          expiresAt: new Date(now + 14 * 86_400_000),
        })),
      )
      .returning({ id: invitations.id });
    rows.forEach((row, i) => {
      seeded.push({ id: row.id, email: people[i]!.email!, token: tokens[i]!.token });
    });
  }
  return seeded;
}

/** An API key with these scopes; only the plain key is answered. */
export async function seedApiKey(db: Db, scopes: Scope[]): Promise<string> {
  const { key } = await createApiKey({ ctx: { db }, input: { name: "fault scenario", scopes } });
  return key;
}
