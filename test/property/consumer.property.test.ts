/**
 * Property tests of the consumer: whatever a queue message holds, the batch handler never throws
 * and reports exactly the messages whose processing failed; any envelope the ingress could have
 * built is stored (many runs on an in-memory store that applies DynamoDB's item rules to the real
 * item mapping, a few on dynalite); and the record does not depend on the processing order.
 */
import type { SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerOutcome, createConsumerHandler, processMessage } from '../../lib/consumer';
import { type Delivery, encodeEnvelope } from '../../lib/envelope';
import { replayCalls } from '../../lib/ops/replay';
import { normalizers } from '../../lib/providers/registry';
import type { CallStore } from '../../lib/store';
import {
  callPk,
  DELIVERY_PREFIX,
  deliveryParts,
  deliveryPk,
  deliveryToItems,
  type Item,
  itemsToDelivery,
  itemToRecord,
  partPrefix,
  RECORD_SK,
  recordDeliveryCount,
  recordToItem,
  SIDE_PREFIX,
} from '../../lib/table';
import { type Provider, provider, SEEDS, seedPath, withValueAt } from '../support/arbitraries';
import { sqsRecord } from '../support/sqs';
import { startTestStack, type TestStack } from '../support/stack';

// ---------------------------------------------------------------- DynamoDB's rules, in memory

type Value = Item[string];

/** DynamoDB's item size: names plus values, a byte per list/map element, numbers by their digits. */
function sizeOf(value: Value): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return 2 + Math.ceil(value.N.replace(/[-.]|[eE].*$/g, '').length / 2);
  if (value.B !== undefined) return value.B.length;
  if (value.M !== undefined)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + Buffer.byteLength(k) + sizeOf(v) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + sizeOf(v) + 1, 0);
  return 1;
}

const depthOf = (value: Value): number =>
  value.M !== undefined
    ? 1 + Math.max(0, ...Object.values(value.M).map(depthOf))
    : value.L !== undefined
      ? 1 + Math.max(0, ...value.L.map(depthOf))
      : 0;

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function assertNumbers(value: Value): void {
  if (value.N !== undefined) {
    const n = Number(value.N);
    if (
      !NUMBER.test(value.N) ||
      !Number.isFinite(n) ||
      (n !== 0 && (Math.abs(n) >= 1e126 || Math.abs(n) < 1e-130))
    )
      throw new Error(`ValidationException: number ${value.N} out of range`);
  }
  for (const child of [...Object.values(value.M ?? {}), ...(value.L ?? [])]) assertNumbers(child);
  for (const key of Object.keys(value.M ?? {}))
    if (key === '') throw new Error('ValidationException: empty attribute name');
}

/** Throws what DynamoDB would answer to a PutItem of `item` on the calls table. */
function assertPutItem(item: Item): void {
  const size = Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + sizeOf(v), 0);
  if (size > 400 * 1024)
    throw new Error('ValidationException: Item size has exceeded the maximum allowed size');
  const key = (name: string, max: number, required: boolean) => {
    const value = item[name];
    if (value === undefined && !required) return;
    if (value?.S === undefined || value.S === '' || Buffer.byteLength(value.S) > max)
      throw new Error(`ValidationException: key ${name} is invalid`);
  };
  key('pk', 2048, true);
  key('sk', 1024, true);
  for (const name of ['fromKey', 'toKey', 'dayKey', 'agentKey', 'batchKey']) key(name, 2048, false);
  key('sortKey', 1024, false);
  for (const value of Object.values(item)) {
    if (depthOf(value) > 32) throw new Error('ValidationException: nesting exceeds 32 levels');
    assertNumbers(value);
  }
}

/** A CallStore in memory, built on the real item mapping of lib/table.ts plus DynamoDB's rules. */
function memoryStore(): CallStore {
  const items = new Map<string, Item>();
  const keyOf = (item: Item) => `${item.pk?.S}\u0000${item.sk?.S}`;
  const put = (item: Item) => {
    assertPutItem(item);
    items.set(keyOf(item), structuredClone(item));
  };
  const byPrefix = (pk: string, prefix: string) =>
    [...items.values()]
      .filter((i) => i.pk?.S === pk && i.sk?.S?.startsWith(prefix))
      .sort((a, b) => ((a.sk?.S ?? '') < (b.sk?.S ?? '') ? -1 : 1));
  const withParts = (pk: string, heads: Item[]) =>
    heads.map((head) =>
      deliveryParts(head) === 0
        ? itemsToDelivery(head)
        : itemsToDelivery(head, byPrefix(pk, partPrefix(head.deliveryId?.S ?? ''))),
    );
  const loadByPk = (pk: string) =>
    withParts(pk, [...byPrefix(pk, DELIVERY_PREFIX), ...byPrefix(pk, SIDE_PREFIX)]);
  const recordItem = (pk: string) => items.get(`${pk}\u0000${RECORD_SK}`);
  return {
    async putDelivery(delivery, options) {
      for (const item of deliveryToItems(delivery, options)) put(item);
    },
    async putDeliveries(writes) {
      return writes.map(({ delivery, side }) => {
        try {
          for (const item of deliveryToItems(delivery, { side })) put(item);
          return undefined;
        } catch (error) {
          return error as Error;
        }
      });
    },
    async claimSignature(provider, signature, deliveryId) {
      const key = `SIG#${provider}#${signature}\u0000SIG`;
      const bound = items.get(key)?.deliveryId?.S;
      if (bound !== undefined && bound !== deliveryId) return false;
      items.set(key, {
        pk: { S: `SIG#${provider}#${signature}` },
        sk: { S: 'SIG' },
        deliveryId: { S: deliveryId },
      });
      return true;
    },
    async loadCall(provider, callId) {
      const pk = callPk(provider, callId);
      const record = recordItem(pk);
      return {
        deliveries: withParts(pk, byPrefix(pk, DELIVERY_PREFIX)),
        stored: record ? itemToRecord(record) : null,
        storedCount: record ? recordDeliveryCount(record) : 0,
      };
    },
    async putRecordIfNewer({ record, version, deliveryCount, replay }) {
      const current = recordItem(callPk(record.provider, record.callId));
      const stored = current?.deliveryCount ? recordDeliveryCount(current) : undefined;
      if (stored !== undefined && (replay ? stored > deliveryCount : stored >= deliveryCount)) return false;
      put(recordToItem(record, version, deliveryCount));
      return true;
    },
    async markRecordCount(provider, callId, seen, deliveryCount) {
      const current = recordItem(callPk(provider, callId));
      if (!current || Number(current.version?.N) !== seen.version) return false;
      if (recordDeliveryCount(current) !== seen.deliveryCount) return false;
      put({ ...current, deliveryCount: { N: String(deliveryCount) } });
      return true;
    },
    async loadDeliveries(provider, callId) {
      return loadByPk(callPk(provider, callId));
    },
    async loadOrphanDelivery(provider, deliveryId) {
      return loadByPk(deliveryPk({ provider, deliveryId, callId: null }))[0] ?? null;
    },
    async getRecord(provider, callId) {
      const item = items.get(`${callPk(provider, callId)}\u0000${RECORD_SK}`);
      return item ? itemToRecord(item) : null;
    },
    async putRecord(record, expectedVersion) {
      const item = recordToItem(record, expectedVersion + 1);
      const current = items.get(keyOf(item));
      if (Number(current?.version?.N ?? 0) !== expectedVersion) return false;
      put(item);
      return true;
    },
    async query() {
      throw new Error('not used by the consumer');
    },
    async getRecords() {
      throw new Error('not used by the consumer');
    },
    async recordedCallIds() {
      throw new Error('not used by the consumer');
    },
    async getReconcileMark() {
      throw new Error('not used by the consumer');
    },
    async advanceReconcileMark() {
      throw new Error('not used by the consumer');
    },
  };
}

// ---------------------------------------------------------------- generators

const SEED_CALL_IDS: Record<Provider, string> = {
  bandwidth: '{callId}',
  callkaro: '2303fa770b666a64ab1694c1e',
};
const CALL_EVENT: Record<Provider, string> = { bandwidth: 'hangup', callkaro: 'call_ended' };

/** Values DynamoDB is picky about, mixed into fast-check's own. */
const oddValue = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: false }),
  fc.constantFrom(2 ** 53 + 2, -(2 ** 60), 1e300, 5e-324, -0, 1e126, 9.9e125, 1e-130),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.dictionary(fc.constantFrom('', '__proto__', 'constructor', 'a'), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 3,
  }),
  fc.integer({ min: 25, max: 60 }).map((depth) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`)),
);

/** A body the ingress would accept for a call: a seed with one field replaced by an odd value. */
const mutatedSeed = (p: Provider) =>
  fc
    .record({ path: seedPath(p), value: oddValue })
    .map(({ path, value }) => JSON.stringify(withValueAt(SEEDS[p], path, value)) ?? '{}');

const anyBody = (p: Provider) =>
  fc.oneof(
    { weight: 4, arbitrary: mutatedSeed(p) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  );

const receivedAt = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** A delivery exactly as the ingress could have built it. */
const delivery = (p: Provider, callId: fc.Arbitrary<string | null>): fc.Arbitrary<Delivery> =>
  fc.record({
    deliveryId: fc.uuid(),
    provider: fc.constant(p),
    receivedAt,
    requestId: fc.uuid(),
    eventType: fc.oneof(fc.constant(CALL_EVENT[p]), fc.constantFrom('answer', 'conference', 'call_queued')),
    callId,
    body: anyBody(p),
  });

const callIdOf = (p: Provider) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(SEED_CALL_IDS[p]) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  );

const anyDelivery = provider.chain((p) => delivery(p, callIdOf(p)));

/** Queue messages that are not valid envelopes, or name a provider nobody handles. */
const garbageMessage = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .tuple(fc.anything({ maxDepth: 2 }), fc.string({ maxLength: 100 }))
    .map(([header, body]) => `${JSON.stringify(header) ?? ''}\n${body}`),
  fc
    .record({ v: fc.constant(1), deliveryId: fc.string(), provider: fc.string(), receivedAt: fc.string() })
    .map(
      (h) => `${JSON.stringify({ ...h, requestId: '', eventType: 'x', callId: null, encoding: 'utf8' })}\n{}`,
    ),
  anyDelivery.map((d) => encodeEnvelope({ ...d, provider: 'nobody' })),
);

// ---------------------------------------------------------------- properties

describe('the consumer on an in-memory store with DynamoDB rules', () => {
  it('stores every envelope the ingress could have built, whatever its body', async () => {
    await fc.assert(
      fc.asyncProperty(anyDelivery, async (d) => {
        const store = memoryStore();
        await processMessage({ messageId: 'm', body: encodeEnvelope(d) }, { store, normalizers });
        const kept =
          d.callId === null
            ? [await store.loadOrphanDelivery(d.provider, d.deliveryId)]
            : await store.loadDeliveries(d.provider, d.callId);
        expect(kept.map((k) => k?.body === d.body)).toEqual([true]);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws past the batch: it reports exactly the messages that failed', async () => {
    const message = fc.oneof(
      anyDelivery.map((d) => ({ body: encodeEnvelope(d), valid: true })),
      garbageMessage.map((body) => ({ body, valid: false })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 10 }), async (messages) => {
        const failed = new Set<string>();
        const observe = (outcome: ConsumerOutcome) => {
          if (outcome.error !== undefined) failed.add(outcome.messageId);
        };
        const handler = createConsumerHandler(() => ({ store: memoryStore(), normalizers, observe }));
        const event: SQSEvent = {
          Records: messages.map((m, i) => sqsRecord({ messageId: `m-${i}`, body: m.body })),
        };

        const response = await handler(event);

        const reported = response.batchItemFailures.map((f) => f.itemIdentifier).sort();
        expect(reported).toEqual([...failed].sort());
        const validIds = messages.flatMap((m, i) => (m.valid ? [`m-${i}`] : []));
        expect(reported.filter((id) => validIds.includes(id))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same record whatever order the deliveries of a call are processed in', async () => {
    const calls = provider.chain((p) =>
      fc.array(delivery(p, fc.constant(SEED_CALL_IDS[p])), { minLength: 1, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(calls, fc.func(fc.integer()), async (deliveries, rank) => {
        const p = deliveries[0]?.provider as Provider;
        const shuffled = [...deliveries].sort((a, b) => rank(a.deliveryId) - rank(b.deliveryId));
        const results = [];
        for (const order of [deliveries, [...deliveries].reverse(), shuffled]) {
          const store = memoryStore();
          for (const d of order)
            await processMessage(
              { messageId: d.deliveryId, body: encodeEnvelope(d) },
              { store, normalizers },
            );
          results.push((await store.getRecord(p, SEED_CALL_IDS[p]))?.record ?? null);
        }
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the consumer in batches on an in-memory store', () => {
  /** Messages of one call, cut into batches (some run at the same time), some delivered again. */
  const batchedCall = provider.chain((p) =>
    fc.array(delivery(p, fc.constant(SEED_CALL_IDS[p])), { minLength: 1, maxLength: 6 }).chain((deliveries) =>
      fc.record({
        deliveries: fc.constant(deliveries),
        // Per message: its batch, and the batch of a redelivery (or none).
        plan: fc.array(fc.record({ batch: fc.nat(3), again: fc.option(fc.nat(3), { nil: undefined }) }), {
          minLength: deliveries.length,
          maxLength: deliveries.length,
        }),
        concurrent: fc.boolean(),
      }),
    ),
  );

  it('gives the same record as processing the deliveries one by one, whatever the batches and redeliveries', async () => {
    await fc.assert(
      fc.asyncProperty(batchedCall, async ({ deliveries, plan, concurrent }) => {
        // Prepare
        const p = deliveries[0]?.provider as Provider;
        const callId = SEED_CALL_IDS[p];
        const oneByOne = memoryStore();
        for (const d of deliveries)
          await processMessage(
            { messageId: d.deliveryId, body: encodeEnvelope(d) },
            { store: oneByOne, normalizers },
          );
        const batches: SQSEvent[] = Array.from({ length: 4 }, () => ({ Records: [] }));
        deliveries.forEach((d, i) => {
          const { batch, again } = plan[i] ?? { batch: 0 };
          const body = encodeEnvelope(d);
          batches[batch]?.Records.push(sqsRecord({ messageId: `${d.deliveryId}-1`, body }));
          if (again !== undefined)
            batches[again]?.Records.push(sqsRecord({ messageId: `${d.deliveryId}-2`, body }));
        });
        const store = memoryStore();
        const handler = createConsumerHandler(() => ({ store, normalizers }));
        const nonEmpty = batches.filter((b) => b.Records.length > 0);

        // Act
        if (concurrent) await Promise.all(nonEmpty.map((b) => handler(b)));
        else for (const b of nonEmpty) await handler(b);
        const replayed = await replayCalls({ store, normalizers, calls: [{ provider: p, callId }] });

        // Assess
        const expected = (await oneByOne.getRecord(p, callId))?.record ?? null;
        expect((await store.getRecord(p, callId))?.record ?? null).toEqual(expected);
        expect(replayed.counts.failed).toBe(0);
        expect(replayed.calls[0]?.change).toBe(expected === null ? 'pending' : 'unchanged');
      }),
      { numRuns: 150 },
    );
  });
});

describe('the consumer on dynalite', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('stores every envelope the ingress could have built (a few runs against the emulator)', async () => {
    await fc.assert(
      fc.asyncProperty(anyDelivery, async (d) => {
        await processMessage(
          { messageId: 'm', body: encodeEnvelope(d) },
          { store: stack.store, normalizers },
        );
        const kept =
          d.callId === null
            ? [await stack.store.loadOrphanDelivery(d.provider, d.deliveryId)]
            : await stack.store.loadDeliveries(d.provider, d.callId);
        expect(kept.some((k) => k?.deliveryId === d.deliveryId && k.body === d.body)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
