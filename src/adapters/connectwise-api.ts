import { ApiError } from "../http/errors.ts";
import type { IntegrationConfig } from "../integrations/integrations.ts";
import { readPsaApi } from "./psa-api.ts";
import { isRecord, MappingError } from "./translation.ts";

const API = "ConnectWise REST API";
const PAGE_SIZE = 1000;
/** 10,000 time entries on one ticket is no ticket: a server that keeps paging is failing. */
const MAX_PAGES = 10;

/** Where a ConnectWise time entry is charged: a service ticket or a project's ticket. */
export type ChargeToType = "ServiceTicket" | "ProjectTicket";

/** The time entries charged to a ConnectWise ticket, read on demand. */
export interface ConnectwiseTimeEntries {
  list(chargeToType: ChargeToType, ticketId: string): Promise<Record<string, unknown>[]>;
}

/**
 * The integration's ConnectWise REST API when its API member is configured, else undefined:
 * time entries are then only those a callback carries, as before credentials existed. Some
 * but not all credentials, or none of the site, is a mapping error (fix the integration,
 * then replay); ConnectWise failing is a 502, so ConnectWise retries.
 */
export function connectwiseTimeEntries(
  integration: IntegrationConfig,
  allowPrivate: boolean,
): ConnectwiseTimeEntries | undefined {
  const { apiCompanyId, apiPublicKey, apiPrivateKey, apiClientId } = integration.secrets;
  const credentials = [apiCompanyId, apiPublicKey, apiPrivateKey, apiClientId];
  if (credentials.every((value) => value === undefined)) return undefined;
  return {
    async list(chargeToType, ticketId) {
      if (!apiCompanyId || !apiPublicKey || !apiPrivateKey || !apiClientId) {
        throw new MappingError(
          "integration.secrets",
          "The integration lacks ConnectWise API credentials (apiCompanyId, apiPublicKey, apiPrivateKey, apiClientId all set, or none).",
        );
      }
      if (!integration.baseUrl) {
        throw new MappingError(
          "integration.baseUrl",
          "The integration has ConnectWise API credentials but no baseUrl (the API site).",
        );
      }
      if (!/^\d{1,18}$/.test(ticketId)) {
        throw new MappingError("Entity.id", `"${ticketId.slice(0, 40)}" is not a ConnectWise id.`);
      }
      const headers = {
        // ConnectWise's API members sign in as `companyId+publicKey:privateKey`.
        authorization: `Basic ${Buffer.from(`${apiCompanyId}+${apiPublicKey}:${apiPrivateKey}`).toString("base64")}`,
        clientId: apiClientId,
      };
      const entries: Record<string, unknown>[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const query = new URLSearchParams({
          conditions: `chargeToType="${chargeToType}" AND chargeToId=${ticketId}`,
          orderBy: "id asc",
          page: String(page),
          pageSize: String(PAGE_SIZE),
        });
        const url = `${integration.baseUrl}/v4_6_release/apis/3.0/time/entries?${query}`;
        const body = await readPsaApi(API, url, headers, allowPrivate);
        if (!Array.isArray(body)) {
          throw new ApiError("bad_gateway", `The ${API} did not answer a list of time entries.`);
        }
        entries.push(...body.filter(isRecord));
        if (body.length < PAGE_SIZE) return entries;
      }
      throw new ApiError(
        "bad_gateway",
        `The ${API} kept paging past ${MAX_PAGES * PAGE_SIZE} time entries.`,
      );
    },
  };
}
