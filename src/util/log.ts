import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one event per line. Anything that could carry a secret is redacted at
 * the logger, so a careless `log.info({ headers })` cannot leak an API key or a presigned URL.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'key',
        'apiKey',
        'api_key',
        'token',
        'password',
        'secretAccessKey',
        'url', // presigned URLs carry credentials in the query string
        'req.headers["x-api-key"]',
        'req.headers.authorization',
        'req.headers.cookie',
        'headers["x-api-key"]',
        'headers.authorization',
        '*.key',
        '*.apiKey',
        '*.api_key',
        '*.token',
        '*.password',
        '*.secretAccessKey',
      ],
      censor: '[redacted]',
    },
  });
}
