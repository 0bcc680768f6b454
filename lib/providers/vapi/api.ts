/**
 * Vapi's list-calls API for reconciliation (reconcile-apis.md §9): `GET /call` with `updatedAtGe`/
 * `updatedAtLt` and `limit`; Bearer private API key. There is no cursor and the order is not
 * documented, so a window is paged by time: when a page comes back full, the window is split at its
 * middle and each half listed again, until every slice fits in a page. A call that ended in the
 * window was last updated at or after its end, so `updatedAt` ≥ since finds it.
 *
 * Under PCI mode Vapi stores no transcript ("no logs or transcripts are stored", SDK
 * `CompliancePlan.d.ts`): such a call's record says so in `details.transcriptNote`.
 */
import type { Delivery } from '../../envelope';
import { byArrival, isJsonObject, type JsonObject, own, parseObject } from '../../normalize/json';
import {
  type ApiCall,
  type ApiClient,
  type ApiKeyCredentials,
  ApiResponseError,
  arrayElementTexts,
  bearerApiKey,
  type CallWindow,
  type ProviderApi,
} from '../api';
import { vapiNormalizer } from './normalize';

const PROVIDER = 'vapi';
export const VAPI_PAGE_SIZE = 1000;
/** A slice this short that is still full cannot be split further: the listing fails loudly. */
const MIN_SLICE_MS = 1;
const CALL_ID = /^[\x21-\x7e]{1,200}$/;

export type VapiApiCredentials = ApiKeyCredentials;

function toApiCall(text: string): ApiCall {
  const call = parseObject(text);
  const id = call === null ? undefined : own(call, 'id');
  if (call === null || typeof id !== 'string' || !CALL_ID.test(id))
    throw new ApiResponseError(PROVIDER, 'a listed call has no valid id');
  return { callId: id, body: text, ended: own(call, 'status') === 'ended' };
}

async function* slice(client: ApiClient, since: number, until: number): AsyncIterable<ApiCall[]> {
  const query = new URLSearchParams({
    updatedAtGe: new Date(since).toISOString(),
    updatedAtLt: new Date(until).toISOString(),
    limit: String(VAPI_PAGE_SIZE),
  });
  const text = await client.request({ path: `/call?${query}` });
  const items = arrayElementTexts(text, null);
  if (items === null) throw new ApiResponseError(PROVIDER, 'GET /call did not answer a list of calls');
  if (items.length < VAPI_PAGE_SIZE) {
    yield items.map(toApiCall);
    return;
  }
  if (until - since <= MIN_SLICE_MS)
    throw new ApiResponseError(PROVIDER, `over ${VAPI_PAGE_SIZE} calls updated within one millisecond`);
  const middle = since + Math.floor((until - since) / 2);
  yield* slice(client, since, middle);
  yield* slice(client, middle, until);
}

const objectAt = (object: JsonObject, key: string): JsonObject | undefined => {
  const value = own(object, key);
  return isJsonObject(value) ? value : undefined;
};

/** The PCI flag where a call object can carry it: the inline assistant or its overrides. */
const pciEnabled = (call: JsonObject): boolean =>
  ['assistant', 'assistantOverrides'].some((key) => {
    const plan = objectAt(objectAt(call, key) ?? {}, 'compliancePlan');
    return plan !== undefined && own(plan, 'pciEnabled') === true;
  });

export const vapiApi: ProviderApi<VapiApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://api.vapi.ai',

  ...bearerApiKey(),

  listCalls(client, _credentials, window: CallWindow) {
    return slice(client, window.since.getTime(), window.until.getTime());
  },

  toCallRecord(deliveries: readonly Delivery[]) {
    const sorted = [...deliveries].sort(byArrival);
    const latest = sorted.at(-1);
    const first = sorted[0];
    const call = latest ? parseObject(latest.body) : null;
    if (!latest || !first || call === null) return null;
    // The end-of-call report is built from the call: the same fields, where the webhook has them.
    const phoneNumber = objectAt(call, 'phoneNumber');
    const ours = phoneNumber && (own(phoneNumber, 'number') ?? own(phoneNumber, 'twilioPhoneNumber'));
    const message = {
      type: 'end-of-call-report',
      call,
      startedAt: own(call, 'startedAt'),
      endedAt: own(call, 'endedAt'),
      endedReason: own(call, 'endedReason'),
      customer: own(call, 'customer'),
      phoneNumber: ours === undefined ? undefined : { number: ours },
      artifact: own(call, 'artifact'),
      analysis: own(call, 'analysis'),
      cost: own(call, 'cost'),
      costBreakdown: own(call, 'costBreakdown'),
    };
    const record = vapiNormalizer.toCallRecord([
      { ...latest, eventType: 'end-of-call-report', body: JSON.stringify({ message }) },
    ]);
    if (record === null) return null;
    const note =
      record.details.transcript !== null
        ? null
        : pciEnabled(call)
          ? 'Vapi stores no transcript under PCI mode (compliancePlan.pciEnabled)'
          : 'no transcript in the API call object';
    return { ...record, receivedAt: first.receivedAt, details: { ...record.details, transcriptNote: note } };
  },
};
