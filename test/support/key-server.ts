import { createHash, createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback stand-in for ConnectWise's callback key URL: answers `{"signing_key": ...}`. */
export interface KeyServer {
  origin: string;
  /** A key URL on this server, shaped like ConnectWise's. */
  keyUrl(id?: string): string;
  /** Requests received so far, by path and query. */
  hits: string[];
  setKey(key: string): void;
  close(): Promise<void>;
}

export async function startKeyServer(signingKey: string): Promise<KeyServer> {
  let key = signingKey;
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    hits.push(request.url ?? "");
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ signing_key: key }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    keyUrl: (id = "3f8a") => `${origin}/v4_6_release/system/callbackkey/index.rails?id=${id}`,
    hits,
    setKey: (next) => {
      key = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The `x-content-signature` ConnectWise sends for a body. */
export function connectwiseSignature(signingKey: string, body: string): string {
  const key = createHash("sha256").update(signingKey).digest();
  return createHmac("sha256", key).update(body).digest("base64");
}
