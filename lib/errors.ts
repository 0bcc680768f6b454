/**
 * Named errors with the HTTP status they map to; their messages are one-line reasons safe to return
 * to the caller. Any other error becomes a bare 500 in lib/http.ts.
 */
export class WebhookError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookError';
    this.statusCode = statusCode;
  }
}

export class UnauthorizedError extends WebhookError {
  /** Value for `WWW-Authenticate`, when the scheme asks for one (HTTP Basic does). */
  readonly challenge: string | undefined;
  /**
   * The request carried no credentials at all to a challenging scheme: Bandwidth v2 sends every
   * callback so first and retries with them after the challenge, so this 401 is part of a healthy
   * exchange (metric reason `challenged`, not `unauthorized`).
   */
  readonly absent: boolean;
  constructor(message = 'missing or invalid credentials', challenge?: string, { absent = false } = {}) {
    super(401, message);
    this.name = 'UnauthorizedError';
    this.challenge = challenge;
    this.absent = absent;
  }
}

export class BadRequestError extends WebhookError {
  constructor(message: string) {
    super(400, message);
    this.name = 'BadRequestError';
  }
}

export class PayloadTooLargeError extends WebhookError {
  constructor(message: string) {
    super(413, message);
    this.name = 'PayloadTooLargeError';
  }
}

/** Too many headers, or too many bytes of them (RFC 6585 §5): refused before any signature check. */
export class HeadersTooLargeError extends WebhookError {
  constructor(message: string) {
    super(431, message);
    this.name = 'HeadersTooLargeError';
  }
}

/** A dependency (SQS, SSM) failed: 503, so a provider that retries may try again; never a 2xx for an unqueued delivery. */
export class ServiceUnavailableError extends WebhookError {
  constructor(message: string, cause: unknown) {
    super(503, message, { cause });
    this.name = 'ServiceUnavailableError';
  }
}

export class EnqueueError extends ServiceUnavailableError {
  constructor(cause: unknown) {
    super('could not queue the delivery; please retry', cause);
    this.name = 'EnqueueError';
  }
}

/** A queue message that is not a valid envelope: retrying will not help, it belongs in the DLQ. */
export class InvalidEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEnvelopeError';
  }
}

export class MissingConfigError extends Error {
  constructor(variable: string) {
    super(`environment variable ${variable} is required`);
    this.name = 'MissingConfigError';
  }
}

/** A delivery for a provider the consumer has no normalizer for: parked in the DLQ after retries. */
export class UnknownProviderError extends Error {
  constructor(provider: string) {
    super(`no normalizer for provider ${provider}`);
    this.name = 'UnknownProviderError';
  }
}

/** A record rebuild lost its version check too many times in a row: retried by SQS redelivery. */
export class RecordConflictError extends Error {
  constructor(provider: string, callId: string) {
    super(`record ${provider}/${callId} kept changing under concurrent writers`);
    this.name = 'RecordConflictError';
  }
}
