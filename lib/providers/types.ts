/**
 * What a provider module implements. Ingress half (`ingress.ts`): authenticate + identify, loaded
 * by the webhook Lambda inside the provider's deadline, so it must stay free of heavy libraries.
 * Consumer half (`normalize.ts`): turns the deliveries stored for one call into its record.
 */
import type { Delivery } from '../envelope';
import type { CallRecord } from '../record';

/** The parts of an HTTP request a provider may look at; header names are lower-case. */
export interface WebhookRequest {
  method: string;
  headers: Readonly<Record<string, string | undefined>>;
  pathParameters: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received (API Gateway's base64 undone): what signatures are checked over. */
  rawBody: Buffer;
  /** The query string exactly as received, without `?` (never rebuilt from parsed parameters). */
  rawQueryString: string;
  /**
   * The URL the provider called, by spec §6: PUBLIC_BASE_URL + route path (+ `?` + raw query), or
   * `https://<host><rawPath>` (+ query) when deployed without one. Twilio and Plivo sign it.
   */
  url: string;
}

/** What a signature check may depend on besides the request and the secrets. */
export interface AuthContext {
  /** When the request arrived; schemes with a timestamp reject one more than 300 s away. */
  now: Date;
  /** Deployment settings: the webhook function's environment (the local stack's env). */
  settings: Readonly<Record<string, string | undefined>>;
}

export interface DeliveryIdentity {
  eventType: string;
  /** null for events that concern no call (e.g. Bandwidth conference events). */
  callId: string | null;
}

export interface ProviderIngress {
  readonly name: string;
  /**
   * Throws UnauthorizedError unless the request carries one of `secrets` (current and next, for
   * rotation). Compares in constant time. Called before the body is parsed.
   */
  authenticate(request: WebhookRequest, secrets: readonly string[], context: AuthContext): void;
  /**
   * The authenticated body (valid UTF-8 text) as the fields `identify` reads; throws BadRequestError
   * when it is not the provider's format. Default: a JSON object (lib/http.ts parseJsonObject).
   * Form-encoded providers use lib/providers/form.ts.
   */
  parse?(text: string, request: WebhookRequest): Readonly<Record<string, unknown>>;
  /** Event type and call id of the parsed body; throws BadRequestError when absent. */
  identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity;
  /**
   * True for an authentic callback the provider sends only to a URL that must answer with call
   * instructions (Bandwidth v2's BXML): the intake is registered in the wrong place and its JSON
   * answer fails the call, so the ingress logs a warning (lib/observe.ts). Absent where the
   * provider's callbacks cannot tell.
   */
  sentToCallAnswerUrl?(identity: DeliveryIdentity): boolean;
  /**
   * Schemes that sign key+value pairs with no separator (Twilio, Plivo), where one captured
   * signature also verifies re-split bodies: the signature material of an authenticated request
   * (signature headers, and the nonce where one is signed). The consumer stores one body per
   * signature and drops any other body carrying it (lib/consumer.ts). Undefined: no such header.
   */
  signatureKey?(request: WebhookRequest): string | undefined;
  /** Local stack only (lib/local/stack.ts): where its secret comes from and the URL to register. */
  readonly local?: LocalWebhookSetup;
}

export interface LocalSecrets {
  secrets: readonly string[];
  display: string;
  defaulted: boolean;
  variables: readonly string[];
}

export interface LocalWebhookSetup {
  /**
   * The secrets from the environment (a variable may hold two lines: current and next), or a dev
   * default when unset; `display` is safe to print.
   */
  secret(env: Readonly<Record<string, string | undefined>>): LocalSecrets;
  /**
   * The URL to paste into the provider's console: the route's URL (with `{param}`s) carrying `secret`
   * where the scheme puts it there (Basic credentials, a path token); default: the route's URL.
   */
  webhookUrl?(routeUrl: string, secret: string): string;
}

export interface ProviderNormalizer {
  readonly name: string;
  /**
   * The event types a record is built from. Other events of a call (Bandwidth playback, gather, …)
   * are stored as raw deliveries but never trigger a rebuild, so a long IVR call does not re-read
   * all its deliveries dozens of times.
   */
  readonly recordEvents: ReadonlySet<string>;
  /**
   * The call's record from every delivery stored for it, in any order (the result must not depend
   * on it, nor on deliveries whose event type is not in `recordEvents`). null while no delivery says the call ended. Never throws on odd field values: an
   * unreadable field becomes null and stays visible in the raw body.
   */
  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null;
}
