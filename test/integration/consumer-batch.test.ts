/**
 * The consumer's hot path against dynalite through the real SDK: how many DynamoDB requests a
 * batch costs, one rebuild per call per batch, side events kept out of a rebuild's reads, and the
 * delivery-count condition that replaces the version read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../lib/envelope';
import { normalizers } from '../../lib/providers/registry';
import { buildCallStore } from '../../lib/store';
import { bandwidthHangup, callkaroCallEnded } from '../fixtures';
import { delivery } from '../support/deliveries';
import { sqsRecord } from '../support/sqs';
import { startTestStack, type TestStack } from '../support/stack';

/** Counts the commands sent through `client` by name. */
function countRequests(client: DynamoDBClient) {
  const counts: Record<string, number> = {};
  const name = `count-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { counts, detach: () => client.middlewareStack.remove(name) };
}

const callkaroCall = (callId: string, n = 1) =>
  delivery(
    { ...callkaroCallEnded(), data: { ...callkaroCallEnded().data, callSid: callId } },
    { callId, deliveryId: `${callId}-d${n}`, receivedAt: `2025-12-19T10:33:0${n}.000Z` },
  );

let stack: TestStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

describe('a batch of the consumer', () => {
  it('stores ten new calls with one conditional PutItem each, then one Query and one PutItem per call', async () => {
    // Prepare
    const deliveries = Array.from({ length: 10 }, (_, i) => callkaroCall(`batch-call-${i}`));
    const event = {
      Records: deliveries.map((d) => sqsRecord({ messageId: d.deliveryId, body: encodeEnvelope(d) })),
    };
    const meter = countRequests(stack.dynamo);

    // Act
    const response = await stack.consumer(event);
    meter.detach();

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    // A head per delivery (conditional: identical bytes are stored once, spec §4), a record per call.
    expect(meter.counts).toEqual({ Query: 10, PutItem: 20 });
    for (const d of deliveries)
      expect(await stack.store.getRecord('callkaro', d.callId as string)).toMatchObject({ version: 1 });
  });

  it('rebuilds a call once for all its events in the batch, and stores a message delivered twice once', async () => {
    // Prepare
    const first = callkaroCall('busy-call', 1);
    const second = callkaroCall('busy-call', 2);
    const event = {
      Records: [first, second, first].map((d, i) =>
        sqsRecord({ messageId: `m-${i}`, body: encodeEnvelope(d) }),
      ),
    };
    const meter = countRequests(stack.dynamo);

    // Act
    const response = await stack.consumer(event);
    meter.detach();

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(meter.counts).toEqual({ Query: 1, PutItem: 3 });
    expect(await stack.store.loadDeliveries('callkaro', 'busy-call')).toHaveLength(2);
    expect(await stack.store.loadCall('callkaro', 'busy-call')).toMatchObject({
      storedCount: 2,
      stored: { version: 1 },
    });
  });

  it('keeps side events out of the rebuild and its reads', async () => {
    // Prepare
    const callId = 'ivr-call';
    const hangup = delivery({ ...bandwidthHangup(), callId }, { provider: 'bandwidth', callId });
    const gathers = Array.from({ length: 5 }, (_, i) =>
      delivery(
        { eventType: 'gather', callId, digits: String(i) },
        { provider: 'bandwidth', callId, deliveryId: `gather-${i}` },
      ),
    );
    await stack.consumer({
      Records: [sqsRecord({ messageId: 'h', body: encodeEnvelope(hangup) })],
    });
    const meter = countRequests(stack.dynamo);

    // Act
    const response = await stack.consumer({
      Records: gathers.map((d) => sqsRecord({ messageId: d.deliveryId, body: encodeEnvelope(d) })),
    });
    meter.detach();
    const snapshot = await stack.store.loadCall('bandwidth', callId);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(meter.counts).toEqual({ PutItem: 5 });
    expect(snapshot.deliveries.map((d) => d.eventType)).toEqual(['hangup']);
    expect((await stack.store.loadDeliveries('bandwidth', callId)).map((d) => d.eventType).sort()).toEqual([
      'gather',
      'gather',
      'gather',
      'gather',
      'gather',
      'hangup',
    ]);
  });
});

describe('the record write condition', () => {
  it('refuses a record of fewer deliveries than the stored one, and lets a replay rewrite one of as many', async () => {
    // Prepare
    const store = buildCallStore(stack.dynamo, stack.tableName);
    const deliveries = [callkaroCall('counted', 1), callkaroCall('counted', 2)];
    await store.putDeliveries(deliveries.map((d) => ({ delivery: d })));
    const full = normalizers.callkaro?.toCallRecord(deliveries);
    const partial = normalizers.callkaro?.toCallRecord(deliveries.slice(0, 1));
    if (!full || !partial) throw new Error('no record from the seed');
    expect(await store.putRecordIfNewer({ record: full, version: 1, deliveryCount: 2 })).toBe(true);

    // Act
    const stale = await store.putRecordIfNewer({ record: partial, version: 2, deliveryCount: 1 });
    const same = await store.putRecordIfNewer({ record: full, version: 2, deliveryCount: 2 });
    const replayed = await store.putRecordIfNewer({
      record: full,
      version: 2,
      deliveryCount: 2,
      replay: true,
    });

    // Assess
    expect([stale, same, replayed]).toEqual([false, false, true]);
    expect(await store.loadCall('callkaro', 'counted')).toMatchObject({
      storedCount: 2,
      stored: { version: 2 },
    });
  });

  it('raises the count of an unchanged record only if nobody wrote it since it was read', async () => {
    // Prepare
    const store = buildCallStore(stack.dynamo, stack.tableName);
    const first = callkaroCall('raised', 1);
    await store.putDeliveries([{ delivery: first }]);
    const record = normalizers.callkaro?.toCallRecord([first]);
    if (!record) throw new Error('no record from the seed');
    await store.putRecordIfNewer({ record, version: 1, deliveryCount: 1 });

    // Act
    const raised = await store.markRecordCount('callkaro', 'raised', { version: 1, deliveryCount: 1 }, 2);
    const late = await store.markRecordCount('callkaro', 'raised', { version: 1, deliveryCount: 1 }, 3);

    // Assess
    expect([raised, late]).toEqual([true, false]);
    expect((await store.loadCall('callkaro', 'raised')).storedCount).toBe(2);
  });
});
