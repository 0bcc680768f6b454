/**
 * Retell's list-calls API for reconciliation (reconcile-apis.md §8): `POST /v3/list-calls` with
 * `filter_criteria.end_timestamp` (epoch ms, `{type:'range', op:'bt'}`), `limit` ≤ 1000, pages
 * through `pagination_key` + `has_more`; Bearer API key. The v3 list omits the transcripts, so each
 * call the table is missing is fetched whole with `GET /v2/get-call/{call_id}` (retell-sdk
 * `src/resources/call.ts`). The API's call object is the webhook's `call` object, so its record is
 * the webhook normalizer's record of that object.
 */
import type { Delivery } from '../../envelope';
import { byArrival, type JsonObject, own, parseObject } from '../../normalize/json';
import {
  type ApiCall,
  type ApiKeyCredentials,
  ApiResponseError,
  arrayElementTexts,
  bearerApiKey,
  type ProviderApi,
} from '../api';
import { retellNormalizer } from './normalize';

const PROVIDER = 'retell';
export const RETELL_PAGE_SIZE = 1000;
/** `call_status` values after which the call object no longer changes its ending (SDK's union). */
const ENDED_STATUSES: ReadonlySet<string> = new Set(['ended', 'error', 'not_connected']);
/** Retell call ids are opaque; bounded and printable like every id the ingress accepts. */
const CALL_ID = /^[\x21-\x7e]{1,200}$/;

export type RetellApiCredentials = ApiKeyCredentials;

function toApiCall(text: string): ApiCall {
  const call = parseObject(text);
  const id = call === null ? undefined : own(call, 'call_id');
  if (call === null || typeof id !== 'string' || !CALL_ID.test(id))
    throw new ApiResponseError(PROVIDER, 'a listed call has no valid call_id');
  const status = own(call, 'call_status');
  return { callId: id, body: text, ended: typeof status === 'string' && ENDED_STATUSES.has(status) };
}

export const retellApi: ProviderApi<RetellApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://api.retellai.com',

  ...bearerApiKey(),

  async *listCalls(client, _credentials, window) {
    let paginationKey: string | undefined;
    for (let page = 0; ; page++) {
      const text = await client.request({
        method: 'POST',
        path: '/v3/list-calls',
        body: {
          filter_criteria: {
            end_timestamp: {
              type: 'range',
              op: 'bt',
              value: [window.since.getTime(), window.until.getTime() - 1],
            },
          },
          sort_order: 'ascending',
          limit: RETELL_PAGE_SIZE,
          ...(paginationKey !== undefined && { pagination_key: paginationKey }),
        },
      });
      const body = parseObject(text);
      const items = arrayElementTexts(text, 'items');
      if (body === null || items === null)
        throw new ApiResponseError(PROVIDER, `page ${page} is not a list-calls page`);
      yield items.map(toApiCall);
      const more = own(body, 'has_more');
      const key = own(body, 'pagination_key');
      if (more !== true) return;
      if (typeof key !== 'string' || key === '' || key === paginationKey)
        throw new ApiResponseError(PROVIDER, `page ${page} says has_more without a new pagination_key`);
      paginationKey = key;
    }
  },

  async completeCall(client, _credentials, call) {
    let text: string;
    try {
      text = await client.request({ path: `/v2/get-call/${encodeURIComponent(call.callId)}` });
    } catch (error) {
      // Deleted between list and get: what the list said is all there is (and would fail every run).
      if (error instanceof ApiResponseError && error.status === 404) return call;
      throw error;
    }
    const full = toApiCall(text);
    if (full.callId !== call.callId)
      throw new ApiResponseError(PROVIDER, `get-call ${call.callId} answered another call`);
    return full;
  },

  toCallRecord(deliveries: readonly Delivery[]) {
    // An ended call only gains fields (the analysis comes later): the latest fetch is taken.
    const sorted = [...deliveries].sort(byArrival);
    const latest = sorted.at(-1);
    const first = sorted[0];
    const call: JsonObject | null = latest ? parseObject(latest.body) : null;
    if (!latest || !first || call === null) return null;
    // The webhook's `call_ended` carries this same call object: one mapping for both.
    const record = retellNormalizer.toCallRecord([
      { ...latest, eventType: 'call_ended', body: JSON.stringify({ event: 'call_ended', call }) },
    ]);
    return record === null ? null : { ...record, receivedAt: first.receivedAt };
  },
};
