/**
 * One structured JSON logger for every function (Powertools Logger; level from POWERTOOLS_LOG_LEVEL,
 * which serverless.yml sets per stage). Never given raw bodies, transcripts, auth headers or
 * secrets: callers pass named correlation fields only (see lib/observe.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const createLogger = ({ stage = process.env.STAGE }: { stage?: string } = {}) =>
  new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'call-intake',
    persistentKeys: stage ? { stage } : {},
  });

export const logger = createLogger();

const MAX_TEXT = 300;
const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

export interface ErrorSummary {
  name: string;
  message: string;
  /** AWS SDK errors: the service's HTTP status and request id, for support cases. */
  httpStatusCode?: number;
  awsRequestId?: string;
  stack?: string;
  cause?: ErrorSummary;
}

/**
 * What of an error is safe to log: name, a clipped message, the SDK's status and request id, the
 * stack. Not the error object itself — Powertools would serialize every enumerable property, and
 * SDK errors carry responses that are none of the log's business.
 */
export function describeError(error: unknown, depth = 0): ErrorSummary {
  if (!(error instanceof Error)) return { name: typeof error, message: clip(String(error)) };
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    name: error.name,
    message: clip(error.message),
    ...(metadata?.httpStatusCode !== undefined && { httpStatusCode: metadata.httpStatusCode }),
    ...(metadata?.requestId !== undefined && { awsRequestId: metadata.requestId }),
    ...(error.stack !== undefined && { stack: error.stack }),
    ...(error.cause !== undefined && depth < 3 && { cause: describeError(error.cause, depth + 1) }),
  };
}

/** Free text from outside (e.g. an error message quoting an event type), bounded for a log line. */
export const clipText = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : clip(text);
