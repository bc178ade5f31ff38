import { createHash } from "node:crypto";

/**
 * What an erased contact keeps of the external id it had: a hash, so that the PSA's next event
 * about them (the PSA still knows them) finds the erased contact instead of creating them anew
 * with their address and name, and a directory write cannot bring them back either.
 */
export function erasedContactKey(externalId: string): string {
  return createHash("sha256").update(`contact:${externalId}`).digest("hex");
}
