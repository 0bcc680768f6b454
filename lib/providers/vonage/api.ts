/**
 * Vonage's list-calls API for reconciliation (reconcile-apis.md §4): `GET /v1/calls` with
 * `date_start`/`date_end` (ISO 8601), `page_size` ≤ 100 and `record_index`, authenticated by an
 * RS256 JWT signed with the Voice application's private key (not the webhook signature secret).
 * The Voice API allows 15 GET requests per second: pages are paced below that. A page of no
 * calls may come without `_embedded` (@vonage/voice's `getAllCalls` throws on it): an empty page.
 *
 * Which time `date_start`/`date_end` compare (start or end) is not documented, so the listing
 * starts START_LOOKBACK_MS early and the window is cut out by each call's `end_time`.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { Delivery } from '../../envelope';
import { byArrival, isJsonObject, type JsonObject, own, parseObject } from '../../normalize/json';
import {
  type ApiCall,
  type ApiClient,
  ApiCredentialsError,
  ApiResponseError,
  arrayElementTexts,
  type CallWindow,
  type ProviderApi,
} from '../api';
import { vonageNormalizer } from './normalize';

const PROVIDER = 'vonage';
export const VONAGE_PAGE_SIZE = 100;
/** A connected call lasts at most 2 h (the NCCO `connect` limit's maximum, 7200 s); with margin. */
export const START_LOOKBACK_MS = 4 * 3_600_000;
/** 15 GET/s documented; one request per 70 ms stays under it. */
const MIN_REQUEST_INTERVAL_MS = 70;
/** The JWT lives this long: longer than any one run's listing at 15 pages/s. */
const JWT_TTL_SECONDS = 3600;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TERMINAL: ReadonlySet<string> = new Set([
  'completed',
  'busy',
  'cancelled',
  'unanswered',
  'timeout',
  'rejected',
  'failed',
]);

export interface VonageApiCredentials {
  applicationId: string;
  privateKey: string;
}

const field = (value: JsonObject, key: string): string | null => {
  const v = own(value, key);
  return typeof v === 'string' && v.trim() !== '' ? v : null;
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An application JWT as @vonage/jwt mints it: RS256, `application_id`, `iat`, `exp`, `jti`. */
export function vonageJwt({ applicationId, privateKey }: VonageApiCredentials, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const unsigned = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({
    application_id: applicationId,
    iat,
    exp: iat + JWT_TTL_SECONDS,
    jti: randomUUID(),
  })}`;
  const signature = sign('sha256', Buffer.from(unsigned), createPrivateKey(privateKey));
  return `${unsigned}.${signature.toString('base64url')}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An endpoint object (`{type:'phone', number}`) or a string, as the webhooks send it. */
const endpoint = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (!isJsonObject(value)) return undefined;
  const number = own(value, 'number') ?? own(value, 'uri') ?? own(value, 'user');
  return typeof number === 'string' ? number : undefined;
};

export const vonageApi: ProviderApi<VonageApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://api.nexmo.com',

  parseCredentials(value, source) {
    const object = isJsonObject(value) ? value : {};
    const applicationId = field(object, 'applicationId');
    if (applicationId === null || !UUID.test(applicationId))
      throw new ApiCredentialsError(`${source}: applicationId (the Voice application's UUID) is required`);
    const privateKey = field(object, 'privateKey');
    try {
      if (privateKey === null) throw new Error('missing');
      createPrivateKey(privateKey);
    } catch {
      // The key's text never goes into the message.
      throw new ApiCredentialsError(`${source}: privateKey (the application's PEM private key) is required`);
    }
    return { applicationId, privateKey };
  },

  authorization: (credentials) => `Bearer ${vonageJwt(credentials)}`,

  async *listCalls(client: ApiClient, _credentials, window: CallWindow) {
    const since = window.since.getTime();
    const until = window.until.getTime();
    let last = 0;
    for (let index = 0; ; index += VONAGE_PAGE_SIZE) {
      const query = new URLSearchParams({
        date_start: new Date(since - START_LOOKBACK_MS).toISOString(),
        date_end: new Date(until).toISOString(),
        page_size: String(VONAGE_PAGE_SIZE),
        record_index: String(index),
        order: 'asc',
      });
      await sleep(Math.max(0, last + MIN_REQUEST_INTERVAL_MS - Date.now()));
      last = Date.now();
      const text = await client.request({ path: `/v1/calls?${query}` });
      const body = parseObject(text);
      if (body === null) throw new ApiResponseError(PROVIDER, `the page at record ${index} is not JSON`);
      const raw = own(body, '_embedded') === undefined ? [] : arrayElementTexts(text, ['_embedded', 'calls']);
      if (raw === null) throw new ApiResponseError(PROVIDER, `the page at record ${index} has no calls list`);
      const echoed = own(body, 'record_index');
      if (echoed !== undefined && Number(echoed) !== index)
        throw new ApiResponseError(PROVIDER, `asked for record ${index}, got a page at ${String(echoed)}`);
      const page: ApiCall[] = [];
      for (const callText of raw) {
        const call = parseObject(callText);
        const id = call === null ? null : field(call, 'uuid');
        if (call === null || id === null || !UUID.test(id))
          throw new ApiResponseError(PROVIDER, 'a listed call has no valid uuid');
        const ended = TERMINAL.has(field(call, 'status') ?? '');
        const at = Date.parse(field(call, 'end_time') ?? field(call, 'start_time') ?? '');
        if (ended && at >= since - (field(call, 'end_time') ? 0 : START_LOOKBACK_MS) && at < until)
          page.push({ callId: id, body: callText, ended });
      }
      yield page;
      if (raw.length < VONAGE_PAGE_SIZE) return;
    }
  },

  toCallRecord(deliveries: readonly Delivery[]) {
    const sorted = [...deliveries].sort(byArrival);
    const latest = sorted.at(-1);
    const first = sorted[0];
    const call = latest ? parseObject(latest.body) : null;
    if (!latest || !first || call === null || latest.callId === null) return null;
    const status = field(call, 'status');
    if (status === null) return null;
    // The call object is the terminal event's body with endpoint objects for from/to.
    const body = { ...call, from: endpoint(own(call, 'from')), to: endpoint(own(call, 'to')) };
    const record = vonageNormalizer.toCallRecord([
      { ...latest, eventType: status, body: JSON.stringify(body) },
    ]);
    return record === null ? null : { ...record, receivedAt: first.receivedAt };
  },
};
