/**
 * Property: a call's record is a function of the set of its deliveries, webhook and list-API alike
 * (spec §7): any interleaving of its webhook deliveries and API deliveries, with duplicates, builds
 * the same record, for each provider with a list API.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRecord } from '../../lib/consumer';
import type { Delivery } from '../../lib/envelope';
import { normalizers } from '../../lib/providers/registry';
import { apiDelivery } from '../../lib/reconcile';
import { bandwidthV2ApiCall } from '../fakes/bandwidth-v2-api';
import { plivoApiCall } from '../fakes/plivo-api';
import { retellApiCall } from '../fakes/retell-api';
import { telnyxDetailRecord } from '../fakes/telnyx-api';
import { rfc2822, twilioApiCall } from '../fakes/twilio-api';
import { vapiApiCall } from '../fakes/vapi-api';
import { vonageApiCall } from '../fakes/vonage-api';
import { rawFormFixture, withFields } from '../support/signed-requests';

const fixture = (provider: string, name: string) =>
  readFileSync(new URL(`../fixtures/${provider}/${name}.json`, import.meta.url), 'utf8');
const at = (second: number) => new Date(Date.UTC(2026, 10, 30, 10, 0, second));

const webhook = (
  provider: string,
  callId: string,
  eventType: string,
  body: string,
  second: number,
  n: number,
): Delivery => ({
  deliveryId: `webhook-${n}`,
  provider,
  receivedAt: at(second).toISOString(),
  requestId: `request-${n}`,
  eventType,
  callId,
  body,
});

const TWILIO_SID = 'CA1234567890ABCDEF1234567890ABCDEF';
const twilioForm = (status: string, second: number) =>
  withFields(rawFormFixture('twilio', 'status-completed'), {
    CallStatus: status,
    Timestamp: rfc2822(at(second)),
    CallDuration: status === 'completed' ? '40' : undefined,
  });
const twilioCall = (duration: number) => ({
  callId: TWILIO_SID,
  body: JSON.stringify(twilioApiCall({ sid: TWILIO_SID, startTime: at(0), endTime: at(duration), duration })),
  ended: true,
});

const RETELL_ID = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';
const BANDWIDTH_ID = 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d';
const TELNYX_LEG = '428c31b6-7af4-4bcb-b7f5-5013ef9657c1';
/** An API delivery of `value` (its JSON text) for call `callId`, fetched at `second`. */
const apiOf = (provider: string, callId: string, value: unknown, second: number) =>
  apiDelivery(provider, { callId, body: JSON.stringify(value), ended: true }, at(second), 'reconcile');
const VAPI_ID = '0a8a3f2c-5b1e-4c7d-9f3a-2e6b8d4c1a90';
const PLIVO_UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
const VONAGE_UUID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
/** An API delivery of `provider`'s call object `call`, fetched at `second` by `source`. */
const apiCall = (provider: string, callId: string, call: unknown, second: number, source: string) =>
  apiDelivery(provider, { callId, body: JSON.stringify(call), ended: true }, at(second), source);

/** Per provider: every delivery a call may have, webhook and API (two fetches, differing). */
const CASES: Record<string, Delivery[]> = {
  twilio: [
    webhook('twilio', TWILIO_SID, 'initiated', twilioForm('initiated', 1), 1, 1),
    webhook('twilio', TWILIO_SID, 'ringing', twilioForm('ringing', 2), 2, 2),
    webhook('twilio', TWILIO_SID, 'in-progress', twilioForm('in-progress', 5), 5, 3),
    webhook('twilio', TWILIO_SID, 'completed', twilioForm('completed', 45), 45, 4),
    apiDelivery('twilio', twilioCall(44), at(100), 'reconcile'),
    apiDelivery('twilio', twilioCall(44), at(900), 'backfill'),
  ],
  retell: [
    webhook('retell', RETELL_ID, 'call_ended', fixture('retell', 'call-ended'), 10, 1),
    webhook('retell', RETELL_ID, 'call_analyzed', fixture('retell', 'call-analyzed'), 20, 2),
    apiDelivery(
      'retell',
      {
        callId: RETELL_ID,
        body: JSON.stringify(retellApiCall({ call_id: RETELL_ID, call_analysis: null })),
        ended: true,
      },
      at(100),
      'reconcile',
    ),
    apiDelivery(
      'retell',
      { callId: RETELL_ID, body: JSON.stringify(retellApiCall({ call_id: RETELL_ID })), ended: true },
      at(200),
      'reconcile',
    ),
  ],
  'bandwidth-v2': [
    webhook('bandwidth-v2', BANDWIDTH_ID, 'answer', fixture('bandwidth-v2', 'answer'), 10, 1),
    webhook('bandwidth-v2', BANDWIDTH_ID, 'disconnect', fixture('bandwidth-v2', 'disconnect'), 20, 2),
    apiOf('bandwidth-v2', BANDWIDTH_ID, bandwidthV2ApiCall({ callId: BANDWIDTH_ID }), 100),
    apiOf('bandwidth-v2', BANDWIDTH_ID, bandwidthV2ApiCall({ callId: BANDWIDTH_ID, lastUpdate: null }), 900),
  ],
  telnyx: [
    webhook('telnyx', TELNYX_LEG, 'call.answered', fixture('telnyx', 'call-answered'), 10, 1),
    webhook('telnyx', TELNYX_LEG, 'call.hangup', fixture('telnyx', 'call-hangup'), 20, 2),
    apiOf('telnyx', TELNYX_LEG, telnyxDetailRecord({ id: 'r-1', leg: TELNYX_LEG }), 100),
    apiOf('telnyx', TELNYX_LEG, telnyxDetailRecord({ id: 'r-1', leg: TELNYX_LEG, billed_sec: 120 }), 900),
  ],
  vapi: [
    webhook('vapi', VAPI_ID, 'end-of-call-report', fixture('vapi', 'end-of-call-report'), 10, 1),
    apiDelivery(
      'vapi',
      { callId: VAPI_ID, body: JSON.stringify(vapiApiCall({ id: VAPI_ID })), ended: true },
      at(100),
      'reconcile',
    ),
  ],
  plivo: [
    webhook('plivo', PLIVO_UUID, 'Hangup', rawFormFixture('plivo', 'hangup'), 10, 1),
    apiCall('plivo', PLIVO_UUID, plivoApiCall({ callUuid: PLIVO_UUID, endedAt: at(40) }), 100, 'reconcile'),
    apiCall(
      'plivo',
      PLIVO_UUID,
      plivoApiCall({ callUuid: PLIVO_UUID, endedAt: at(40), zone: 'UTC', total_amount: '0.01' }),
      900,
      'backfill',
    ),
  ],
  vonage: [
    webhook('vonage', VONAGE_UUID, 'started', fixture('vonage', 'started'), 1, 1),
    webhook('vonage', VONAGE_UUID, 'answered', fixture('vonage', 'answered'), 2, 2),
    webhook('vonage', VONAGE_UUID, 'completed', fixture('vonage', 'completed'), 10, 3),
    apiCall('vonage', VONAGE_UUID, vonageApiCall({ uuid: VONAGE_UUID, endedAt: at(40) }), 100, 'reconcile'),
    apiCall(
      'vonage',
      VONAGE_UUID,
      vonageApiCall({ uuid: VONAGE_UUID, endedAt: at(40), status: 'busy' }),
      900,
      'backfill',
    ),
  ],
};

describe.each(Object.entries(CASES))('%s: webhook and API deliveries in any order', (provider, all) => {
  const normalizer = normalizers[provider];
  if (!normalizer) throw new Error(`no normalizer ${provider}`);

  it('build the same record from any interleaving, with duplicates', () => {
    fc.assert(
      fc.property(
        fc.subarray(all, { minLength: 1 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (subset, duplicates, keys) => {
          const withDuplicates = [...subset, ...duplicates.map((i) => subset[i % subset.length] as Delivery)];
          const shuffled = withDuplicates
            .map((delivery) => ({ delivery, key: keys.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ delivery }) => delivery);
          expect(buildRecord(normalizer, shuffled)).toEqual(buildRecord(normalizer, subset));
        },
      ),
    );
  });

  it('webhook values win where both have one, and sources name both', () => {
    const record = buildRecord(normalizer, all);
    const webhookOnly = buildRecord(
      normalizer,
      all.filter((d) => d.eventType !== 'api.call'),
    );
    expect(record?.sources).toEqual(['api', 'webhook']);
    for (const field of ['from', 'to', 'direction', 'endedAt', 'outcome', 'hangupCause'] as const) {
      if (webhookOnly?.[field] !== null && webhookOnly?.[field] !== '')
        expect(record?.[field]).toEqual(webhookOnly?.[field]);
    }
  });
});

describe('vapi: a transcript the API object lacks', () => {
  it('is no longer noted as missing once the webhook report brought it', () => {
    const normalizer = normalizers.vapi;
    if (!normalizer) throw new Error('no vapi normalizer');
    const { artifact: _artifact, ...withoutTranscript } = vapiApiCall({ id: VAPI_ID });
    const api = apiDelivery(
      'vapi',
      { callId: VAPI_ID, body: JSON.stringify(withoutTranscript), ended: true },
      at(100),
      'reconcile',
    );
    const report = webhook(
      'vapi',
      VAPI_ID,
      'end-of-call-report',
      fixture('vapi', 'end-of-call-report'),
      10,
      1,
    );
    const apiOnly = buildRecord(normalizer, [api]);
    expect(apiOnly?.details.transcriptNote).toBe('no transcript in the API call object');
    const merged = buildRecord(normalizer, [api, report]);
    expect(merged?.details.transcript).toEqual(buildRecord(normalizer, [report])?.details.transcript);
    expect(merged?.details.transcript).not.toBeNull();
    expect(merged?.details.transcriptNote ?? null).toBeNull();
  });
});
