import pino, { type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout; anything that could carry a secret is redacted by path. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
