/**
 * What a provider with a list-calls API implements for reconciliation and backfill (spec §7), and
 * the small typed `fetch` client all three listers share. A provider's `api.ts` holds a pure page
 * walker over this client and its API normalizer; windows, existence checks and enqueueing live
 * once in lib/reconcile.ts.
 *
 * Why `fetch` and not the official SDKs: one 429/Retry-After policy for every provider (the SDKs
 * differ: twilio never retries 429, retell-sdk and the Vapi SDK retry twice on their own), exact
 * response bytes for the stored delivery (the SDKs hand back parsed objects), and a reconciler
 * bundle without 8–47 MB of SDK (reconcile-apis.md §5 of each provider).
 */
import type { Delivery } from '../envelope';
import { byArrival, isJsonObject, type JsonObject, own, parseObject } from '../normalize/json';
import type { CallRecord } from '../record';

/** The event type of a delivery that is a list API's call object (never a webhook's event type). */
export const API_EVENT = 'api.call';

/** One call as the provider's API returned it. */
export interface ApiCall {
  callId: string;
  /** The exact JSON text of that call in the API's response: what is stored as the delivery body. */
  body: string;
  /**
   * The call has ended (a terminal status): only ended calls are stored, a live one is listed again
   * by a later window.
   */
  ended: boolean;
  /**
   * The API's id for this call is not the id its webhooks carry, and cannot be mapped to it: the
   * call is counted (`unmatched N`) and never stored, so it cannot become a second record.
   */
  unmatched?: boolean;
}

/** [since, until): the calls that ended in it (start-time listing too where the provider needs it). */
export interface CallWindow {
  since: Date;
  until: Date;
}

/** A provider's credential is wrong (401/403): one line naming where it came from, exit 1. */
export class ApiAuthError extends Error {
  readonly status: number;
  constructor(provider: string, status: number, source: string) {
    super(`${provider} API answered ${status}: the credentials in ${source} were refused`);
    this.name = 'ApiAuthError';
    this.status = status;
  }
}

/** The API kept answering 429 (or 5xx) past the retry budget: the window is left for the next run. */
export class ApiRateLimitError extends Error {
  constructor(provider: string, status: number, attempts: number) {
    super(
      `${provider} API answered ${status} ${attempts} times in a row; the window is left for the next run`,
    );
    this.name = 'ApiRateLimitError';
  }
}

/** A response that is not what the provider documents (not JSON, wrong shape, a call without id). */
export class ApiResponseError extends Error {
  /** The HTTP status of an answer that was not 2xx (absent: a 2xx whose content was wrong). */
  readonly status: number | undefined;
  constructor(provider: string, what: string, status?: number) {
    super(`${provider} API: ${what}`);
    this.name = 'ApiResponseError';
    this.status = status;
  }
}

/** A credential JSON that lacks a field or is not JSON: names the variable or parameter. */
export class ApiCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiCredentialsError';
  }
}

export interface ApiRequest {
  method?: 'GET' | 'POST';
  /** A path on the base URL (`/2010-04-01/…`), with its query string. */
  path: string;
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  text: string;
}

/** Counts what a run cost, for the summary and the benchmark. */
export interface ApiStats {
  requests: number;
  retries: number;
}

export interface ApiClientOptions {
  provider: string;
  baseUrl: string;
  /** The Authorization header value. Never logged, never in an error. */
  authorization: string;
  /** Where the credential came from (`TWILIO_API_CREDENTIALS`, `/call-intake/dev/twilio-api`). */
  credentialSource: string;
  fetch?: typeof fetch;
  /** Attempts per request on 429/5xx/network errors before the run fails. */
  maxAttempts?: number;
  /** Waits longer than this (Retry-After included) are capped. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ApiClient {
  readonly provider: string;
  /** The base URL without a trailing slash: a pagination link is followed only beneath it. */
  readonly baseUrl: string;
  readonly stats: ApiStats;
  /** The response text of a 2xx; throws ApiAuthError, ApiRateLimitError or ApiResponseError. */
  request(request: ApiRequest): Promise<string>;
  /** The same, with the response's headers (Bandwidth v2 pages through its `Link` header). */
  requestWithHeaders(request: ApiRequest): Promise<{ text: string; headers: Headers }>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch = options.fetch ?? fetch;
  const maxAttempts = options.maxAttempts ?? 6;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? sleepFor;
  const base = options.baseUrl.replace(/\/+$/, '');
  const stats: ApiStats = { requests: 0, retries: 0 };
  const requestWithHeaders: ApiClient['requestWithHeaders'] = async ({ method = 'GET', path, body }) => {
    let lastStatus = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let response: Response;
      stats.requests += 1;
      try {
        response = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: options.authorization,
            accept: 'application/json',
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        // Network trouble is transient like a 5xx; the message never carries the credential.
        lastStatus = 0;
        if (attempt === maxAttempts)
          throw new ApiResponseError(options.provider, `request failed: ${(error as Error).message}`);
        stats.retries += 1;
        await sleep(Math.min(maxDelayMs, 250 * 2 ** attempt));
        continue;
      }
      const text = await response.text();
      if (response.ok) return { text, headers: response.headers };
      if (response.status === 401 || response.status === 403)
        throw new ApiAuthError(options.provider, response.status, options.credentialSource);
      if (response.status === 429 || response.status >= 500) {
        lastStatus = response.status;
        if (attempt === maxAttempts) break;
        stats.retries += 1;
        // The provider's Retry-After when it sends one, else exponential backoff with jitter.
        const wait =
          retryAfterMs(response.headers.get('retry-after')) ?? 250 * 2 ** attempt * (0.5 + Math.random() / 2);
        await sleep(Math.min(maxDelayMs, wait));
        continue;
      }
      throw new ApiResponseError(
        options.provider,
        `${method} ${path.split('?')[0]} answered ${response.status}`,
        response.status,
      );
    }
    throw new ApiRateLimitError(options.provider, lastStatus, maxAttempts);
  };
  return {
    provider: options.provider,
    baseUrl: base,
    stats,
    requestWithHeaders,
    request: async (request) => (await requestWithHeaders(request)).text,
  };
}

/** One API key sent as a Bearer token (Retell, Vapi, Telnyx): `{ "apiKey": "…" }`. */
export interface ApiKeyCredentials {
  apiKey: string;
}

/** The credential half of a ProviderApi whose credential is one Bearer API key; `what` names the key. */
export const bearerApiKey = (what = 'apiKey') => ({
  parseCredentials(value: unknown, source: string): ApiKeyCredentials {
    const apiKey = isJsonObject(value) ? own(value, 'apiKey') : undefined;
    if (typeof apiKey !== 'string' || apiKey.trim() === '')
      throw new ApiCredentialsError(`${source}: ${what} is required`);
    return { apiKey };
  },
  authorization: ({ apiKey }: ApiKeyCredentials) => `Bearer ${apiKey}`,
});

/** What a provider module exports for reconciliation (lib/providers/<name>/api.ts). */
export interface ProviderApi<Credentials = unknown> {
  readonly name: string;
  /** The API's production base URL (`<PROVIDER>_API_BASE_URL` overrides it). */
  readonly defaultBaseUrl: string;
  /**
   * How long after a call ended the API still lists it (Bandwidth v2: 7 days); a window reaching
   * further back is clamped and the summary says so. Absent: no documented limit.
   */
  readonly retentionMs?: number;
  /** The lister may mark calls `unmatched` (Telnyx): the summary then always shows the count. */
  readonly reportsUnmatched?: boolean;
  /** The credential JSON's fields, checked; throws ApiCredentialsError naming `source`. */
  parseCredentials(value: unknown, source: string): Credentials;
  /** The Authorization header for these credentials. */
  authorization(credentials: Credentials): string;
  /**
   * Pages of calls that ended in the window (a call may appear on several pages or twice on one;
   * the caller dedupes by id). Throws ApiResponseError on a page that is not the documented shape.
   */
  listCalls(client: ApiClient, credentials: Credentials, window: CallWindow): AsyncIterable<ApiCall[]>;
  /**
   * For a listed call whose list item lacks fields the record needs (Retell's v3 list has no
   * transcript): the full call object. Default: the list item is stored as it is.
   */
  completeCall?(client: ApiClient, credentials: Credentials, call: ApiCall): Promise<ApiCall>;
  /** The API's call object(s) stored for one call → its record (no `sources`); null if none usable. */
  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null;
}

/**
 * The API object a call's record is made from: the latest fetch of it (an ended call's object no
 * longer changes), parsed, with its call id and the earliest arrival, which dates the record.
 */
export function latestApiObject(
  deliveries: readonly Delivery[],
): { callId: string; object: JsonObject; receivedAt: string } | null {
  const sorted = [...deliveries].sort(byArrival);
  const latest = sorted.at(-1);
  const first = sorted[0];
  const object = latest ? parseObject(latest.body) : null;
  if (!latest || !first || object === null || latest.callId === null) return null;
  return { callId: latest.callId, object, receivedAt: first.receivedAt };
}

/**
 * Every element of the JSON array at `key` of an object (or of a top-level array) as its exact text;
 * a list of keys descends into nested objects (`['_embedded', 'calls']`).
 */
export function arrayElementTexts(text: string, key: string | null | readonly string[]): string[] | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  /** Skips one JSON value starting at i (JSON.parse already checked the text is valid). */
  const skipValue = () => {
    ws();
    const c = text.charAt(i);
    if (c === '"') {
      i++;
      while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === '\\' ? 2 : 1;
      i++;
      return;
    }
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const d = text.charAt(i);
        if (d === '"') {
          skipValue();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        i++;
        if (depth === 0) return;
      }
      return;
    }
    while (i < text.length && !',}] \t\n\r'.includes(text.charAt(i))) i++;
  };
  const readArray = (): string[] | null => {
    ws();
    if (text.charAt(i) !== '[') return null;
    i++;
    const out: string[] = [];
    ws();
    if (text.charAt(i) === ']') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      const start = i;
      skipValue();
      out.push(text.slice(start, i));
      ws();
      if (text.charAt(i) === ',') {
        i++;
        continue;
      }
      if (text.charAt(i) !== ']') return null;
      i++;
      return out;
    }
  };
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  /** The array at `path` inside the object at i; i ends after that object (or where it failed). */
  const readMember = (path: readonly string[]): string[] | null => {
    if (text.charAt(i) !== '{') return null;
    i++;
    // JSON.parse keeps the last of duplicate keys; so does this.
    let found: string[] | null = null;
    for (;;) {
      ws();
      if (text.charAt(i) !== '"') break;
      const keyStart = i;
      skipValue();
      const name = JSON.parse(text.slice(keyStart, i)) as string;
      ws();
      i++; // ':'
      ws();
      if (name === path[0]) found = path.length === 1 ? readArray() : readMember(path.slice(1));
      else skipValue();
      ws();
      if (text.charAt(i) !== ',') break;
      i++;
    }
    if (text.charAt(i) === '}') i++;
    return found;
  };
  ws();
  if (key === null) return readArray();
  return readMember(typeof key === 'string' ? [key] : key);
}
