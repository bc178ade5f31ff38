import { z } from "@hono/zod-openapi";
import { instantInput } from "../instant.ts";
import type { ClientRow, ContactRow } from "./clients.ts";
import type { ContactView } from "./contacts.ts";
import type { MemberView, TeamRow } from "./people.ts";

/** The directory's request and response shapes, and how rows become them. */

const instant = instantInput();
const externalId = z.string().trim().min(1).max(200);
const teamKey = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a team key such as help-desk");
const locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, "must be a BCP 47 tag");

export const ExternalIdParam = z.object({
  externalId: externalId.openapi({ param: { name: "externalId", in: "path" }, example: "250" }),
});
export const TeamKeyParam = z.object({
  key: teamKey.openapi({ param: { name: "key", in: "path" }, example: "help-desk" }),
});

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({
      param: { name: "limit", in: "query" },
      description: "Items per page, 1 to 200.",
    }),
  cursor: z
    .string()
    .max(500)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "`nextCursor` of the previous page.",
    }),
});

export const ContactsQuery = PageQuery.extend({
  clientExternalId: externalId.optional().openapi({
    param: { name: "clientExternalId", in: "query" },
    description: "Only the contacts of this client.",
  }),
});

export const PutClient = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(300)
      .optional()
      .openapi({ description: "Needed to create the client." }),
    activeSince: instant.optional().openapi({
      description: "Start of the relationship, for retention; defaults to now on creation.",
    }),
    endedAt: instant
      .nullable()
      .optional()
      .openapi({
        description:
          "When the client left; null while active. Not earlier than activeSince (the stored one " +
          "when left out, now for a new client): such a PUT is a 400 naming endedAt and writes nothing.",
      }),
    excludeFromSurveys: z.boolean().optional().openapi({
      description: "No survey is scheduled for any of the client's contacts.",
    }),
  })
  .openapi("PutClient", { description: "Fields left out keep their value." });

export const PutContact = z
  .strictObject({
    clientExternalId: externalId.optional().openapi({
      description: "The client the contact belongs to; needed to create the contact.",
    }),
    email: z.email().max(320).nullable().optional(),
    name: z.string().trim().max(300).nullable().optional(),
    locale: locale.nullable().optional().openapi({ description: "BCP 47 tag for emails." }),
    optedOut: z.boolean().optional().openapi({
      description: "true records an opt-out (no more surveys), false withdraws it.",
    }),
  })
  .openapi("PutContact", { description: "Fields left out keep their value." });

export const PutTeam = z
  .strictObject({
    name: z.string().trim().min(1).max(300).optional().openapi({
      description: "A new team without one is named after its key (`help-desk`: Help Desk).",
    }),
    leadEmail: z.email().max(320).nullable().optional(),
  })
  .openapi("PutTeam", { description: "Fields left out keep their value." });

export const PutMember = z
  .strictObject({
    name: z.string().trim().min(1).max(300).optional().openapi({
      description: "A new member without one is known by their id.",
    }),
    email: z.email().max(320).nullable().optional(),
    teamKey: teamKey.nullable().optional().openapi({
      description: "The member's current team; created on first sight.",
    }),
  })
  .openapi("PutMember", { description: "Fields left out keep their value." });

const iso = (value: Date | null) => value?.toISOString() ?? null;

export const Contact = z
  .object({
    id: z.uuid(),
    externalId: z.string().openapi({ description: "`erased-<uuid>` once erased." }),
    clientExternalId: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    locale: z.string().nullable(),
    optedOutAt: z.iso.datetime().nullable(),
    bouncedAt: z.iso.datetime().nullable(),
    complainedAt: z.iso.datetime().nullable().openapi({ description: "A spam complaint." }),
    erasedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Contact");

export function presentContact(row: ContactView) {
  return {
    id: row.id,
    externalId: row.externalId,
    clientExternalId: row.clientExternalId,
    email: row.email,
    name: row.name,
    locale: row.locale,
    optedOutAt: iso(row.optedOutAt),
    bouncedAt: iso(row.bouncedAt),
    complainedAt: iso(row.complainedAt),
    erasedAt: iso(row.erasedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const Client = z
  .object({
    id: z.uuid(),
    externalId: z.string(),
    name: z.string(),
    activeSince: z.iso.datetime(),
    endedAt: z.iso.datetime().nullable(),
    excludeFromSurveys: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Client");

export const ClientWithContacts = Client.extend({ contacts: z.array(Contact) }).openapi(
  "ClientWithContacts",
);

export function presentClient(row: ClientRow) {
  return {
    id: row.id,
    externalId: row.externalId,
    name: row.name,
    activeSince: row.activeSince.toISOString(),
    endedAt: iso(row.endedAt),
    excludeFromSurveys: row.excludeFromSurveys,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentClientWithContacts(client: ClientRow, contacts: ContactRow[]) {
  return {
    ...presentClient(client),
    contacts: contacts.map((row) =>
      presentContact({ ...row, clientExternalId: client.externalId }),
    ),
  };
}

export const Team = z
  .object({
    id: z.uuid(),
    key: z.string(),
    name: z.string(),
    leadEmail: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Team");

export function presentTeam(row: TeamRow) {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    leadEmail: row.leadEmail,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const Member = z
  .object({
    id: z.uuid(),
    externalId: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    teamKey: z.string().nullable().openapi({ description: "The current team (latest touch)." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Member");

export function presentMember(row: MemberView) {
  return {
    id: row.id,
    externalId: row.externalId,
    name: row.name,
    email: row.email,
    teamKey: row.teamKey,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** `{ data, nextCursor }` around an item schema. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
  });
}
