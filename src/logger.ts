import pino, { type Logger } from "pino";

export type { Logger };

/**
 * JSON lines on stdout; anything that could carry a secret is redacted by path. Lines are
 * written asynchronously so a slow log reader never stalls requests; pino flushes on exit.
 */
export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  return pino(
    {
      level,
      base: { service: "rapport" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "*.authorization",
          "*.Authorization",
          "*.apiKey",
          "*.key",
          "*.secret",
          "*.token",
          "*.password",
          "headers.*",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
