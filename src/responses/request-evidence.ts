import { createHmac } from "node:crypto";
import { boundedMemo } from "../memo.ts";
import { purposeKey } from "./purpose-keys.ts";

/** What a click leaves behind for audit: never the raw IP, only a keyed hash of it. */
export interface ClickEvidence {
  userAgent: string | null;
  acceptLanguage: string | null;
  ipHash: string | null;
}

/** A keyed hash of a client address; an address seen again is not hashed again. */
export function hashIp(secret: string, ip: string): string {
  if (secret !== ipHashes.secret) ipHashes = { secret, of: ipHashMemo(secret) };
  return ipHashes.of(ip);
}

const ipHashMemo = (secret: string) =>
  boundedMemo(4096, (ip) =>
    createHmac("sha256", purposeKey(secret, "ip-hash")).update(ip).digest("base64url").slice(0, 22),
  );
// A process knows one instance secret (tests: one per file).
let ipHashes = { secret: "", of: ipHashMemo("") };

/** Requests that only look ahead (HEAD, browser and proxy prefetch) never record an answer. */
export function isLookAhead(method: string, header: (name: string) => string | undefined) {
  if (method === "HEAD") return "head";
  const purpose = `${header("purpose") ?? ""} ${header("sec-purpose") ?? ""} ${header("x-moz") ?? ""} ${header("x-purpose") ?? ""}`;
  return /prefetch|prerender|preview/i.test(purpose) ? "prefetch" : undefined;
}

/**
 * User agents of link scanners and scripted clients. Security gateways open every link of an
 * email on delivery; none of them is a person answering a survey.
 */
const scannerAgents: Array<[RegExp, string]> = [
  [/BingPreview/i, "bing-preview"],
  [/Microsoft Office|MSOffice|Safe ?Links|Defender|ms-office|Microsoft-?ATP/i, "microsoft"],
  [/Mimecast/i, "mimecast"],
  [/Proofpoint|\bppops\b/i, "proofpoint"],
  [/Barracuda/i, "barracuda"],
  [/python-requests|python-urllib|aiohttp|httpx/i, "python"],
  [/^curl\/|\bWget\b|libwww-perl|Java\/|okhttp|node-fetch|undici|axios/i, "script"],
  [/Go-http-client/i, "go"],
  [/HeadlessChrome|PhantomJS|Puppeteer|Playwright|Selenium|Lighthouse/i, "headless"],
  [
    /bot\b|crawler|spider|scanner|urlscan|Symantec|Forcepoint|Sophos|Trend ?Micro|FireEye|Cisco|IronPort|Zscaler|Fortinet|Trustwave|Cloudmark/i,
    "scanner",
  ],
];

/** The scanner a user agent names (`agent:<name>`), or "" for none; few agents recur. */
const scannerAgentOf = boundedMemo(1024, (agent) => {
  for (const [pattern, name] of scannerAgents) if (pattern.test(agent)) return `agent:${name}`;
  return "";
});

/** The reason a request looks automated, or undefined when it looks like a person's browser. */
export function scannerSignature(
  evidence: ClickEvidence,
  arrivedAt: Date,
  deliveredAt: Date | null,
  graceSeconds: number,
): string | undefined {
  const agent = evidence.userAgent ?? "";
  if (!agent) return "no-user-agent";
  const scanner = scannerAgentOf(agent);
  if (scanner) return scanner;
  if (!evidence.acceptLanguage) return "no-accept-language";
  if (deliveredAt && arrivedAt.getTime() - deliveredAt.getTime() < graceSeconds * 1000) {
    return "too-soon-after-delivery";
  }
  return undefined;
}
