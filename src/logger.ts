import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The one logger factory (STYLE.md §7). Allow-list first: requests are logged as id, method and route
 * pattern (never the raw URL, which may carry a phone number), responses as status code only. Redaction of
 * PHI-bearing field names is the backstop; `Phi<T>` values print as `[PHI]` whatever path they take.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.phone',
  '*.whatsapp',
  '*.to',
  '*.from',
  '*.body',
  '*.text',
  '*.name',
  '*.givenName',
  '*.familyName',
  '*.birthDate',
  '*.dob',
  '*.email',
  '*.mediaUrl',
  '*.params',
  '*.token',
];

interface RequestLike {
  id: string;
  method: string;
  routeOptions?: { url?: string | undefined };
}

/**
 * @param level - the minimum level
 * @param destination - where lines go (stdout by default; tests pass an in-memory stream)
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wardline' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        req: (req: RequestLike) => ({ id: req.id, method: req.method, route: req.routeOptions?.url ?? null }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error & { code?: unknown }) => ({
          type: err.name,
          code: typeof err.code === 'string' ? err.code : undefined,
          stack: err.stack?.split('\n').slice(1).join('\n'),
        }),
      },
    },
    destination,
  );
}

export type { Logger };
