/**
 * Issue 18, item 1 (the generic guard): Twilio and Plivo sign their sorted key+value pairs joined
 * with no separator, so one captured genuine request re-splits into other bodies under the same
 * signature. Through the real handlers, queue and consumer on the emulators: the genuine request
 * makes its record; each forgery — whether a format check refuses it at the door or it only moves
 * text between free-text values (or into Plivo's nonce) — leaves nothing behind: no record, no
 * delivery, and the genuine record unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerOutcome } from '../../lib/consumer';
import type { WebhookHandler } from '../../lib/ingress';
import { formPairs } from '../../lib/providers/form';
import { plivoIngress, plivoSignatureV3 } from '../../lib/providers/plivo/ingress';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import { scanAll } from '../support/faults';
import {
  PLIVO_NONCE,
  PLIVO_SECRETS,
  PUBLIC_BASE,
  plivoRequest,
  rawFormFixture,
  TWILIO_SECRETS,
  twilioRequest,
} from '../support/signed-requests';
import { startTestStack, type TestStack } from '../support/stack';

const PLIVO_UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
const PLIVO_HANGUP = rawFormFixture('plivo', 'hangup');
const TWILIO_SID = 'CA1234567890ABCDEF1234567890ABCDEF';
const TWILIO_COMPLETED = rawFormFixture('twilio', 'status-completed');

let stack: TestStack;
let outcomes: ConsumerOutcome[];
let plivo: WebhookHandler;
let twilio: WebhookHandler;
beforeEach(async () => {
  outcomes = [];
  stack = await startTestStack({
    consumerDeps: (deps) => ({ ...deps, observe: (outcome) => outcomes.push(outcome) }),
  });
  const setup = { publicBaseUrl: () => PUBLIC_BASE };
  plivo = stack.webhookHandler(plivoIngress, PLIVO_SECRETS, setup);
  twilio = stack.webhookHandler(twilioIngress, TWILIO_SECRETS, setup);
});
afterEach(async () => {
  await stack.stop();
});

/** `form` re-encoded from pairs (the order kept): what a forger sends. */
const encode = (pairs: readonly (readonly [string, string])[]) =>
  new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString();

/** The genuine request, drained; then each forgery, drained; what the table holds afterwards. */
async function genuineThenForgeries(
  handler: WebhookHandler,
  genuine: Parameters<WebhookHandler>[0],
  forgeries: Parameters<WebhookHandler>[0][],
) {
  const poller = await stack.startPoller();
  const first = await handler(genuine);
  await poller.drain();
  const before = await scanAll(stack.dynamo, stack.tableName);
  const statuses = [];
  for (const forgery of forgeries) statuses.push((await handler(forgery)).statusCode);
  await poller.drain();
  const after = await scanAll(stack.dynamo, stack.tableName);
  return { first: first.statusCode, statuses, before, after };
}

/** The table's items but the signature bindings (SIG#), keyed and compared whole. */
const calls = (items: Awaited<ReturnType<typeof scanAll>>) =>
  items
    .filter((item) => !item.pk?.S?.startsWith('SIG#'))
    .map((item) => JSON.stringify(item))
    .sort();

describe('a re-split of a captured Plivo request', () => {
  it('CallUUID=<uuid>Directionoutbound, and text moved from the last value into the nonce: one record only, nothing of the forgeries stored', async () => {
    // Prepare: the genuine V3 signature, reused by both forgeries.
    const url = `${PUBLIC_BASE}/webhooks/plivo`;
    const pairs = formPairs(PLIVO_HANGUP);
    const signature = plivoSignatureV3(PLIVO_SECRETS[0], url, pairs, PLIVO_NONCE);
    // 1. CallUUID + Direction merged: "CallUUID<uuid>" "Directionoutbound" → "CallUUID<uuid>Directionoutbound".
    const merged = encode(
      pairs
        .filter(([key]) => key !== 'Direction')
        .map(([key, value]) => [key, key === 'CallUUID' ? `${value}Directionoutbound` : value] as const),
    );
    // 2. The last value TotalCost=0.00200 becomes 0, and "00200." moves in front of the nonce:
    //    "…TotalCost0" + "." + "00200.<nonce>" signs as "…TotalCost0.00200.<nonce>".
    const last = encode(pairs.map(([key, value]) => [key, key === 'TotalCost' ? '0' : value] as const));
    const forged = (body: string, nonce: string) =>
      plivoRequest(body, {
        headers: { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': nonce },
      });
    // Both forgeries verify: the scheme cannot tell (what this guard is for).
    for (const [body, nonce] of [
      [merged, PLIVO_NONCE],
      [last, `00200.${PLIVO_NONCE}`],
    ] as const) {
      const signedUrl = `${url}`;
      expect(plivoSignatureV3(PLIVO_SECRETS[0], signedUrl, formPairs(body), nonce)).toBe(signature);
    }

    // Act
    const result = await genuineThenForgeries(plivo, plivoRequest(PLIVO_HANGUP), [
      forged(merged, PLIVO_NONCE),
      forged(last, `00200.${PLIVO_NONCE}`),
    ]);

    // Assess: refused at the door (a format check) or dropped by the consumer; nothing stored.
    expect(result.first).toBe(200);
    for (const status of result.statuses) expect([200, 400]).toContain(status);
    expect(calls(result.after)).toEqual(calls(result.before));
    const records = result.after.filter((item) => item.sk?.S === 'RECORD');
    expect(records.map((item) => item.pk?.S)).toEqual([`CALL#plivo#${PLIVO_UUID}`]);
    expect(await stack.store.loadDeliveries('plivo', PLIVO_UUID)).toHaveLength(1);
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
    const consumed = outcomes.length - 1;
    expect(outcomes.filter((o) => o.change === 'forged')).toHaveLength(consumed);
  });
});

describe('a re-split of a captured Twilio request', () => {
  it('CallStatus and SipResponseCode swallowing their neighbours: one record, unchanged; nothing of the forgeries stored', async () => {
    // Prepare: the genuine signature header, reused by both forgeries.
    const genuine = twilioRequest(TWILIO_COMPLETED);
    const signature = genuine.headers['x-twilio-signature'] as string;
    const pairs = formPairs(TWILIO_COMPLETED);
    const swallow = (key: string, next: string) => {
      const value = pairs.find(([k]) => k === next)?.[1] ?? '';
      return encode(
        pairs
          .filter(([k]) => k !== next)
          .map(([k, v]) => [k, k === key ? `${v}${next}${value}` : v] as const),
      );
    };
    const forgeries = [
      swallow('CallStatus', 'CallbackSource'), // CallStatus=completedCallbackSourcecall-progress-events
      swallow('SipResponseCode', 'Timestamp'), // the end time gone from the record
    ].map((body) => twilioRequest(body, { headers: { 'x-twilio-signature': signature } }));

    // Act
    const result = await genuineThenForgeries(twilio, genuine, forgeries);

    // Assess
    expect(result.first).toBe(200);
    for (const status of result.statuses) expect([200, 400]).toContain(status);
    expect(calls(result.after)).toEqual(calls(result.before));
    expect(await stack.store.loadDeliveries('twilio', TWILIO_SID)).toHaveLength(1);
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
    expect(outcomes.filter((o) => o.change === 'forged')).toHaveLength(outcomes.length - 1);
  });

  it('the genuine request again (a retry, a replay) is not a forgery', async () => {
    const poller = await stack.startPoller();
    const responses = [
      await twilio(twilioRequest(TWILIO_COMPLETED)),
      await twilio(twilioRequest(TWILIO_COMPLETED)),
    ];
    await poller.drain();

    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(outcomes.map((o) => o.change).sort()).toEqual(['created', 'duplicate']);
  });
});
