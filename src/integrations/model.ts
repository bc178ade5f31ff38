import { z } from "@hono/zod-openapi";
import { eventTypes } from "../intake/event.ts";
import { type SecretName, secretNames } from "./secrets.ts";

export const vendors = ["connectwise", "autotask", "halopsa"] as const;
export type Vendor = (typeof vendors)[number];

/** Which write-only credentials each vendor uses. */
export const vendorSecrets: Record<Vendor, readonly SecretName[]> = {
  connectwise: ["apiCompanyId", "apiPublicKey", "apiPrivateKey", "apiClientId"],
  autotask: ["webhookSecret", "apiUsername", "apiSecret", "apiIntegrationCode"],
  halopsa: ["basicUsername", "basicPassword", "bearerToken"],
};

/**
 * The credentials rapport sends to the integration's `baseUrl` (the PSA's REST API): they are
 * dropped when `baseUrl` moves, so they only ever reach the host they were entered for.
 */
export const apiSecrets: readonly SecretName[] = secretNames.filter((name) =>
  name.startsWith("api"),
);

/** Settings a new integration starts with, per vendor. */
export const defaultSettings: Record<Vendor, IntegrationSettings> = {
  connectwise: {},
  autotask: { completeStatuses: ["5"] },
  halopsa: { closedStatuses: ["9"] },
};

export const TeamKey = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a team key such as help-desk");

const statusValue = z.string().trim().min(1).max(100);

export const IntegrationSettings = z
  .strictObject({
    completeStatuses: z
      .array(statusValue)
      .max(50)
      .optional()
      .openapi({
        description:
          'Autotask: status values that mean Complete (`ticket.closed`). Default `["5"]`.',
        example: ["5"],
      }),
    closedStatuses: z
      .array(statusValue)
      .max(50)
      .optional()
      .openapi({
        description:
          'HaloPSA: `status_id` values that mean closed, besides a Closed/Resolved action outcome. Default `["9"]`.',
        example: ["9"],
      }),
    closingOutcomes: z
      .array(statusValue)
      .max(50)
      .optional()
      .openapi({
        description:
          'HaloPSA: action outcomes that close the ticket, compared whole and in any case ("Not Resolved" is not "Resolved"). Default `["Closed", "Resolved"]`.',
        example: ["Closed", "Resolved", "Close Ticket"],
      }),
    memberTeams: z
      .record(z.string().trim().min(1).max(200), TeamKey)
      .optional()
      .openapi({
        description:
          "Member identifier -> team key, for members whose team differs from the board's team.",
        example: { mchen: "centralized-services" },
      }),
  })
  .openapi("IntegrationSettings");

export type IntegrationSettings = z.infer<typeof IntegrationSettings>;

export const statusTargets = [...eventTypes, "ignore"] as const;
export type StatusTarget = (typeof statusTargets)[number];

export const BoardTeams = z.record(z.string().trim().min(1).max(200), TeamKey).openapi({
  description: "Board or queue (name or id, as the PSA sends it) -> team key.",
  example: { "Help Desk": "help-desk", "8": "help-desk" },
});

export const StatusMap = z
  .record(z.string().trim().min(1).max(200), z.enum(statusTargets))
  .openapi({
    description:
      "PSA status (name or id) -> canonical event type, or `ignore` to acknowledge without recording. Takes precedence over the vendor defaults.",
    example: { "Closed (resolved)": "ticket.closed", "Waiting on client": "ignore" },
  });

const secretValue = z.string().min(1).max(4000).nullable().optional();

export const SecretsInput = z
  .strictObject(
    Object.fromEntries(secretNames.map((name) => [name, secretValue])) as Record<
      SecretName,
      typeof secretValue
    >,
  )
  .openapi("IntegrationSecrets", {
    description:
      "Write-only credentials; `null` removes one. Autotask: `webhookSecret` (the webhook's SecretKey), `apiUsername`, `apiSecret`, `apiIntegrationCode`. HaloPSA: `basicUsername` + `basicPassword`, or `bearerToken`. ConnectWise: optionally an API member's `apiCompanyId`, `apiPublicKey`, `apiPrivateKey` and `apiClientId` (all four, with `baseUrl`), to read a closed ticket's time entries.",
  });

export type SecretsInput = z.infer<typeof SecretsInput>;

const baseUrl = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .transform((value) => value.replace(/\/+$/, ""))
  .openapi({
    description:
      "Autotask: the REST zone URL (e.g. `https://webservices5.autotask.net/ATServicesRest`). ConnectWise: the API site (e.g. `https://api-na.myconnectwise.net`, or an on-premises origin), used with the API secrets to read time entries. Must be https on a public address unless OUTBOUND_ALLOW_PRIVATE (400 naming `baseUrl`); changing it drops the stored `api…` secrets, which must be entered again for the new host.",
    example: "https://webservices5.autotask.net/ATServicesRest",
  });

export const CreateIntegration = z
  .object({
    vendor: z.enum(vendors),
    name: z.string().trim().min(1).max(200),
    active: z.boolean().default(true),
    baseUrl: baseUrl.nullish(),
    settings: IntegrationSettings.optional(),
    boardTeams: BoardTeams.default({}),
    statusMap: StatusMap.default({}),
    secrets: SecretsInput.default({}),
  })
  .openapi("CreateIntegration");

export type CreateIntegration = z.infer<typeof CreateIntegration>;

export const UpdateIntegration = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    active: z.boolean().optional(),
    baseUrl: baseUrl.nullish(),
    settings: IntegrationSettings.optional(),
    boardTeams: BoardTeams.optional(),
    statusMap: StatusMap.optional(),
    secrets: SecretsInput.optional(),
  })
  .openapi("UpdateIntegration", {
    description: "Fields to change; maps and settings are replaced whole, secrets are merged.",
  });

export type UpdateIntegration = z.infer<typeof UpdateIntegration>;
