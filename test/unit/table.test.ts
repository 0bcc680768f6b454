import { randomBytes } from 'node:crypto';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../lib/record';
import {
  DAY_SHARDS,
  deliveryToItems,
  itemsToDelivery,
  itemToRecord,
  MAX_RECORD_BYTES,
  recordToItem,
  shardOf,
  toStorable,
} from '../../lib/table';
import { delivery } from '../support/deliveries';
import { sampleRecord } from '../support/records';

const record = (over: Partial<CallRecord> = {}): CallRecord =>
  sampleRecord({
    callId: 'c1',
    details: { agentId: 'agent-1', batchId: 'batch-1', transcription: 'hello' },
    ...over,
  });

describe('record items', () => {
  it('round-trips a record and sets the index keys from its parties, agent, batch and arrival', () => {
    // Act
    const item = recordToItem(record(), 1);

    // Assess
    expect(item.fromKey).toEqual({ S: '+919876543210' });
    expect(item.toKey).toEqual({ S: '+918765432109' });
    expect(item.agentKey).toEqual({ S: 'agent-1' });
    expect(item.batchKey).toEqual({ S: 'batch-1' });
    expect(item.sortKey).toEqual({ S: '2025-12-19T10:33:08.000Z#callkaro#c1' });
    expect(item.dayKey?.S).toMatch(/^2025-12-19#[0-7]$/);
    expect(itemToRecord(item)).toEqual({ record: record(), version: 1, detailsTruncated: false });
  });

  it('indexes a call by arrival, also when the provider times could not be read', () => {
    const item = recordToItem(
      record({ startedAt: null, endedAt: null, receivedAt: '2026-01-02T03:04:05.000Z' }),
      1,
    );
    expect(item.sortKey?.S).toBe('2026-01-02T03:04:05.000Z#callkaro#c1');
    expect(item.dayKey?.S).toMatch(/^2026-01-02#[0-7]$/);
  });

  it('leaves out index keys that are absent or too long to be a DynamoDB key', () => {
    const item = recordToItem(record({ from: null, to: 'x'.repeat(2_000), details: {} }), 1);
    expect(item.fromKey).toBeUndefined();
    expect(item.toKey).toBeUndefined();
    expect(item.agentKey).toBeUndefined();
  });

  it('keeps an oversized record within one item by leaving its large details to the raw body', () => {
    // Prepare: incompressible, so even compressed it would not fit one item
    const huge = record({
      details: { agentId: 'agent-1', transcription: randomBytes(400_000).toString('base64') },
    });

    // Act
    const item = recordToItem(huge, 1);

    // Assess
    expect(JSON.stringify(item).length).toBeLessThan(MAX_RECORD_BYTES);
    expect(itemToRecord(item)).toMatchObject({
      detailsTruncated: true,
      record: { details: { agentId: 'agent-1' } },
    });
  });

  it('keeps seed-size details as plain attributes and large values compressed, read back unchanged', () => {
    // Prepare
    const transcription = 'Agent: नमस्ते, how can I help? Customer: my order 4711 is late. '.repeat(800);
    const seed = record();
    const large = record({ details: { agentId: 'agent-1', batchId: 'batch-1', transcription } });

    // Act
    const seedItem = recordToItem(seed, 1, 1);
    const largeItem = recordToItem(large, 1, 1);

    // Assess
    expect(seedItem.details?.M?.transcription).toEqual({ S: 'hello' });
    expect(seedItem.detailsBrotli).toBeUndefined();
    expect(largeItem.details?.M).toEqual({ agentId: { S: 'agent-1' }, batchId: { S: 'batch-1' } });
    expect(largeItem.detailsBrotli?.B?.length).toBeLessThan(Buffer.byteLength(transcription) / 10);
    expect(
      JSON.parse(brotliDecompressSync(largeItem.detailsBrotli?.B ?? new Uint8Array()).toString()),
    ).toEqual({
      transcription,
    });
    expect(itemToRecord(seedItem)).toEqual({ record: seed, version: 1, detailsTruncated: false });
    expect(itemToRecord(largeItem)).toEqual({ record: large, version: 1, detailsTruncated: false });
  });

  it('clips unbounded provider strings and marks the record for a rebuild from the raw body', () => {
    const item = recordToItem(record({ hangupCause: 'X'.repeat(500_000) }), 1);
    expect(item.hangupCause?.S).toHaveLength(1_024);
    expect(itemToRecord(item).detailsTruncated).toBe(true);
  });

  it('does not cut a character in two when clipping', () => {
    const item = recordToItem(record({ hangupCause: `${'x'.repeat(1_023)}😀😀` }), 1);
    expect(item.hangupCause?.S).toBe('x'.repeat(1_023));
  });

  it('spreads one day over every shard', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`callkaro#call-${i}`)));
    expect(shards.size).toBe(DAY_SHARDS);
  });
});

describe('values DynamoDB would refuse', () => {
  it.each([
    ['numbers beyond its range', 1e300, '1e+300'],
    ['maps with an empty key', { '': 1 }, '{"":1}'],
  ])('stores %s as JSON text', (_name, value, expected) => {
    const stored = toStorable({ v: value }) as { v: unknown };
    expect(stored.v).toEqual(expected);
  });

  const depthOf = (v: unknown): number => (Array.isArray(v) ? 1 + Math.max(0, ...v.map(depthOf)) : 0);
  const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

  it('stores nesting deeper than DynamoDB allows (32) as JSON text below that depth', () => {
    const stored = toStorable(nested(40));
    expect(depthOf(stored)).toBeLessThan(32);
    expect(JSON.stringify(stored)).toContain('"[[[');
  });

  it('stores nesting too deep even for JSON.stringify (10,000 levels) as a note instead of crashing', () => {
    const stored = toStorable(nested(10_000));
    expect(depthOf(stored)).toBeLessThan(32);
    expect(JSON.stringify(stored)).toContain('see the raw delivery');
  });

  it('keeps ordinary JSON as it is', () => {
    const value = { a: [1, 'two', { three: true }], b: null, c: 1.5 };
    expect(toStorable(value)).toEqual(value);
  });
});

/** DynamoDB's item size: attribute names plus values (binary by length, the rest as JSON text). */
const itemBytes = (item: Record<string, { B?: Uint8Array }>) =>
  Object.entries(item).reduce(
    (sum, [name, value]) => sum + name.length + (value.B ? value.B.length : JSON.stringify(value).length),
    0,
  );

describe('delivery items', () => {
  it.each([
    ['a small body as text', 'x'.repeat(100), 1],
    ['a compressible large body compressed in one item', `"${'नमस्ते '.repeat(50_000)}"`, 1],
    [
      'an incompressible large body across parts',
      JSON.stringify(
        Buffer.from(Array.from({ length: 700_000 }, () => Math.floor(Math.random() * 256))).toString(
          'base64',
        ),
      ),
      4,
    ],
  ])('stores %s and restores it exactly', (_name, body, items) => {
    // Act
    const stored = deliveryToItems(delivery(body));
    const head = stored.at(-1);
    const parts = stored.slice(0, -1);

    // Assess
    expect(stored).toHaveLength(items);
    for (const item of stored) expect(itemBytes(item)).toBeLessThan(400_000);
    expect(itemsToDelivery(head as never, parts)).toEqual(delivery(body));
  });
});
