import { ApiError } from "../http/errors.ts";
import type { IntegrationConfig } from "../integrations/integrations.ts";
import { isRecord, MappingError } from "./translation.ts";

const TIMEOUT_MS = 10_000;

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
export function autotaskDirectory(integration: IntegrationConfig): AutotaskDirectory {
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
        found = fetchItem(url, {
          ApiIntegrationCode: apiIntegrationCode,
          UserName: apiUsername,
          Secret: apiSecret,
        });
        cache.set(url, found);
      }
      return found;
    },
  };
}

async function fetchItem(
  url: string,
  credentials: Record<string, string>,
): Promise<Record<string, unknown> | undefined> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", ...credentials },
      redirect: "error",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new ApiError("bad_gateway", "The Autotask REST API could not be reached.", {
      cause: error,
    });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new ApiError("bad_gateway", `The Autotask REST API answered ${response.status}.`);
  }
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!isRecord(body))
    throw new ApiError("bad_gateway", "The Autotask REST API answered non-JSON.");
  // Autotask answers `{"item": null}` for an id it does not know.
  return isRecord(body.item) ? body.item : undefined;
}
