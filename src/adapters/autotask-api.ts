import { ApiError } from "../http/errors.ts";
import type { IntegrationConfig } from "../integrations/integrations.ts";
import { readPsaApi } from "./psa-api.ts";
import { isRecord, MappingError } from "./translation.ts";

const API = "Autotask REST API";

/** The Autotask records a ticket webhook refers to by id only, and the ticket itself. */
export interface AutotaskDirectory {
  /** The entity's `item`, or undefined when Autotask has no such record. */
  get(
    entity: "Contacts" | "Companies" | "Resources" | "Tickets",
    id: string,
  ): Promise<Record<string, unknown> | undefined>;
}

/**
 * Reads `{baseUrl}/V1.0/{entity}/{id}` with the integration's API user. Missing settings
 * are mapping errors (fix the integration, then replay); Autotask failing is a 502, so
 * Autotask retries the delivery.
 */
export function autotaskDirectory(
  integration: IntegrationConfig,
  allowPrivate: boolean,
): AutotaskDirectory {
  const { apiUsername, apiSecret, apiIntegrationCode } = integration.secrets;
  const cache = new Map<string, Promise<Record<string, unknown> | undefined>>();
  return {
    get(entity, id) {
      if (!integration.baseUrl) {
        throw new MappingError("integration.baseUrl", "The integration has no Autotask REST URL.");
      }
      if (!apiUsername || !apiSecret || !apiIntegrationCode) {
        throw new MappingError(
          "integration.secrets",
          "The integration lacks Autotask API credentials (apiUsername, apiSecret, apiIntegrationCode).",
        );
      }
      const url = `${integration.baseUrl}/V1.0/${entity}/${encodeURIComponent(id)}`;
      let found = cache.get(url);
      if (!found) {
        found = fetchItem(
          url,
          { ApiIntegrationCode: apiIntegrationCode, UserName: apiUsername, Secret: apiSecret },
          allowPrivate,
        );
        cache.set(url, found);
      }
      return found;
    },
  };
}

async function fetchItem(
  url: string,
  credentials: Record<string, string>,
  allowPrivate: boolean,
): Promise<Record<string, unknown> | undefined> {
  const body = await readPsaApi(API, url, credentials, allowPrivate);
  if (body === undefined) return undefined;
  if (!isRecord(body)) throw new ApiError("bad_gateway", `The ${API} answered non-JSON.`);
  // Autotask answers `{"item": null}` for an id it does not know.
  return isRecord(body.item) ? body.item : undefined;
}
