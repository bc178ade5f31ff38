import { lookup as lookupCallback } from "node:dns";
import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * Outbound requests must not reach the instance's own network (SSRF): loopback, link-local,
 * private, unique-local, carrier-grade NAT, multicast, documentation and reserved ranges are
 * refused, IPv4 and IPv6 alike (IPv4-mapped IPv6 addresses are judged by their IPv4 address;
 * IPv4-compatible ones and IPv6 ranges that translate or tunnel to IPv4 are refused whole).
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  // Documentation (RFC 5737) and the retired 6to4 relay anycast.
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible addresses (`::127.0.0.1`).
  ["::", 96],
  ["fe80::", 10],
  ["fc00::", 7],
  ["fec0::", 10],
  ["ff00::", 8],
  // Translation and tunnels to IPv4: NAT64 (well-known and local-use), Teredo, 6to4.
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2001::", 32],
  ["2002::", 16],
  // Discard-only (RFC 6666) and documentation (RFC 3849, RFC 9637).
  ["100::", 64],
  ["2001:db8::", 32],
  ["3fff::", 20],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

const MAPPED_IPV4 = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i;
const MAPPED_IPV4_HEX = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** Whether an address belongs to a range outbound requests may not reach. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, "ipv4");
  if (family !== 6) return true;
  const dotted = MAPPED_IPV4.exec(bare);
  if (dotted) return blocked.check(dotted[1]!, "ipv4");
  const hex = MAPPED_IPV4_HEX.exec(bare);
  if (hex) {
    const high = Number.parseInt(hex[1]!, 16);
    const low = Number.parseInt(hex[2]!, 16);
    return blocked.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, "ipv4");
  }
  return blocked.check(bare, "ipv6");
}

export class DestinationRefused extends Error {
  override name = "DestinationRefused";
}

/**
 * Checks a webhook URL: http(s) only, https unless private destinations are allowed, and every
 * address the host resolves to outside the refused ranges unless they are allowed.
 */
export async function checkDestination(rawUrl: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new DestinationRefused("is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DestinationRefused("must be an http or https URL");
  }
  if (url.username || url.password) throw new DestinationRefused("must not carry credentials");
  if (allowPrivate) return url;
  if (url.protocol !== "https:") throw new DestinationRefused("must use https");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (found) => found.map((entry) => entry.address),
        () => {
          throw new DestinationRefused(`host ${host} does not resolve`);
        },
      );
  if (addresses.length === 0) throw new DestinationRefused(`host ${host} does not resolve`);
  const refused = addresses.find(isPrivateAddress);
  if (refused) {
    throw new DestinationRefused(`resolves to ${refused}, a private or local address`);
  }
  return url;
}

/**
 * The DNS lookup used when connecting: the address actually connected to is the one checked,
 * so a name that changes its answer between the check and the request gains nothing.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true, verbatim: true }, (error, found) => {
      if (error) return callback(error, "", 0);
      const list = found as unknown as { address: string; family: number }[];
      const refused = allowPrivate
        ? undefined
        : list.find((entry) => isPrivateAddress(entry.address));
      if (refused || list.length === 0) {
        const reason = refused
          ? `${hostname} resolves to a private address`
          : `${hostname} has no address`;
        return callback(Object.assign(new Error(reason), { code: "EREFUSED_PRIVATE" }), "", 0);
      }
      if ((options as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      }
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
