/**
 * Issue 18, item 3 (spec §4): identical bytes from one provider are one stored delivery. A captured
 * signed request replayed many times through the real handlers, queue and consumer on the emulators
 * adds nothing to its call's partition, never changes the record (its first arrival stays its
 * receivedAt) and triggers no rebuild, so another call's record is not held up behind it.
 */
import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerOutcome } from '../../lib/consumer';
import { encodeEnvelope } from '../../lib/envelope';
import { vonageIngress } from '../../lib/providers/vonage/ingress';
import { callkaroCallEnded, fixture } from '../fixtures';
import { VONAGE_SECRETS, vonageRequest } from '../support/carriers';
import { delivery } from '../support/deliveries';
import { scanAll } from '../support/faults';
import { callkaroRequest, jsonBody } from '../support/requests';
import { sqsRecord } from '../support/sqs';
import { CALLKARO_SECRETS, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let outcomes: ConsumerOutcome[];
let clock: number;
beforeEach(async () => {
  outcomes = [];
  clock = Date.parse('2026-01-05T09:00:00.000Z');
  stack = await startTestStack({
    // Every request arrives one second after the one before: a replay has its own receivedAt.
    ingressDeps: (deps) => ({
      ...deps,
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    }),
    consumerDeps: (deps) => ({ ...deps, observe: (outcome) => outcomes.push(outcome) }),
  });
});
afterEach(async () => {
  await stack.stop();
});

const partition = async (pk: string) =>
  (await scanAll(stack.dynamo, stack.tableName)).filter((item) => item.pk?.S === pk);

describe('a replayed request', () => {
  it('signed 1 MB Vonage request ×60: one delivery, one rebuild, and an unrelated call is recorded in the same drain', async () => {
    // Prepare: a completed event padded with incompressible text to just under the body limit.
    const uuid = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
    const padding = randomBytes(760_000).toString('base64');
    const body = JSON.stringify({ ...fixture('vonage', 'completed'), uuid, padding });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1_000_000);
    const vonage = stack.webhookHandler(vonageIngress, VONAGE_SECRETS);
    const captured = vonageRequest(body);
    const poller = await stack.startPoller();

    // Act: the genuine request, 59 replays of its exact bytes and signature, then another call.
    // A 503 (SQS slower than the ingress's deadline on a loaded machine) is retried, as Vonage would.
    const send = async () => {
      for (let attempt = 1; ; attempt++) {
        const response = await vonage(captured);
        if (response.statusCode !== 503 || attempt === 5) return response;
      }
    };
    const responses = [];
    for (let i = 0; i < 60; i++) responses.push(await send());
    const other = callkaroCallEnded();
    other.data.callSid = 'unrelated-call';
    const otherResponse = await stack.callkaro(callkaroRequest(JSON.stringify(other)));
    await poller.drain();

    // Assess
    expect(responses.filter((r) => r.statusCode !== 200).map((r) => `${r.statusCode} ${r.body}`)).toEqual([]);
    const ids = new Set(responses.map((r) => jsonBody(r).id));
    expect(ids.size).toBe(1);
    expect(otherResponse.statusCode).toBe(200);
    const deliveries = await stack.store.loadDeliveries('vonage', uuid);
    expect(deliveries.map((d) => d.deliveryId)).toEqual([...ids]);
    // The arrival stored first keeps its time, on the delivery and on the record: none of the 59
    // later ones (each a second later than the one before) overwrote it.
    const vonageOutcomes = outcomes.filter((o) => o.delivery?.provider === 'vonage');
    const first = vonageOutcomes.find((o) => o.change === 'created')?.delivery?.receivedAt;
    expect(first).toBeDefined();
    expect(deliveries[0]?.receivedAt).toBe(first);
    expect((await stack.store.getRecord('vonage', uuid))?.record.receivedAt).toBe(first);
    // The partition holds the one delivery (head and body parts) and the record, nothing per replay.
    const items = await partition(`CALL#vonage#${uuid}`);
    expect(items.filter((i) => i.sk?.S?.startsWith('DELIVERY#'))).toHaveLength(1);
    expect(items.filter((i) => i.sk?.S?.startsWith('PART#')).length).toBeLessThanOrEqual(4);
    // Counts, not times: one rebuild of the Vonage call, 59 duplicates that rebuilt nothing, and
    // the unrelated call's record stored in the same drain.
    expect(vonageOutcomes.filter((o) => o.error !== undefined)).toEqual([]);
    expect(vonageOutcomes.filter((o) => o.change === 'created')).toHaveLength(1);
    // 59 replays (more if a 503'd attempt was queued all the same), none of them rebuilt anything.
    expect(vonageOutcomes.length).toBeGreaterThanOrEqual(60);
    expect(vonageOutcomes.filter((o) => o.change === 'duplicate')).toHaveLength(vonageOutcomes.length - 1);
    expect(await stack.store.getRecord('callkaro', 'unrelated-call')).toMatchObject({ version: 1 });
  }, 120_000);

  it('the same request twice in one batch, and again later: stored once with the first arrival, rebuilt once', async () => {
    // Prepare: one body, three arrivals (the ingress would give all three the same id).
    const base = delivery(callkaroCallEnded(), { deliveryId: 'same-bytes', callId: 'dup-call' });
    const arrivals = ['09:00:01', '09:00:02', '09:00:03'].map((t, i) => ({
      ...base,
      receivedAt: `2026-01-05T${t}.000Z`,
      requestId: `request-${i}`,
    }));
    const [a, b, c] = arrivals.map((d, i) => sqsRecord({ messageId: `m-${i}`, body: encodeEnvelope(d) })) as [
      SQSRecord,
      SQSRecord,
      SQSRecord,
    ];

    // Act
    const firstBatch = await stack.consumer({ Records: [b, a] });
    const later = await stack.consumer({ Records: [c] });

    // Assess
    expect(firstBatch.batchItemFailures).toEqual([]);
    expect(later.batchItemFailures).toEqual([]);
    const deliveries = await stack.store.loadDeliveries('callkaro', 'dup-call');
    expect(deliveries.map((d) => [d.deliveryId, d.receivedAt, d.requestId])).toEqual([
      ['same-bytes', '2026-01-05T09:00:01.000Z', 'request-0'],
    ]);
    expect(outcomes.map((o) => o.change).sort()).toEqual(['created', 'duplicate', 'duplicate']);
    expect((await stack.store.getRecord('callkaro', 'dup-call'))?.record.receivedAt).toBe(
      '2026-01-05T09:00:01.000Z',
    );
  });

  it('SQS redelivering the same message still rebuilds (the first attempt may have stored it and failed after)', async () => {
    // Prepare: the delivery is stored, but no record was written (as if the rebuild had failed).
    const d = delivery(callkaroCallEnded(), { deliveryId: 'stored-then-failed', callId: 'retry-call' });
    await stack.store.putDeliveries([{ delivery: d }]);

    // Act: SQS hands the very same message over again.
    const response = await stack.consumer({
      Records: [sqsRecord({ messageId: 'm-1', body: encodeEnvelope(d) })],
    });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(outcomes.map((o) => o.change)).toEqual(['created']);
    expect(await stack.store.loadDeliveries('callkaro', 'retry-call')).toHaveLength(1);
  });
});

describe('the delivery id', () => {
  it('is the same for the same bytes from one provider, and differs for other bytes or another provider', async () => {
    const body = JSON.stringify(callkaroCallEnded());
    const send = async (text: string) =>
      jsonBody(await stack.callkaro(callkaroRequest(text, { token: CALLKARO_SECRETS[0] }))).id;

    const [first, again, other] = [await send(body), await send(body), await send(`${body} `)];

    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});
