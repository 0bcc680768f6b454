/**
 * Re-normalizes stored raw deliveries after a mapping change: for each selected call, rebuild its
 * record from every delivery stored for it with the current normalizer (rebuildRecord, exactly what
 * the consumer does), under the same version check, so a replay racing the live consumer is safe
 * and a second replay changes nothing.
 *
 * Calls are found by Query only: one call by key, or a time range through the byDay index — every
 * day of the range, all DAY_SHARDS shards of each day. The range is over arrival time (receivedAt),
 * which is what the indexes and `calls list` go by.
 */
import { type RecordChange, rebuildRecord } from '../consumer';
import type { ProviderNormalizer } from '../providers/types';
import type { CallRecord } from '../record';
import type { CallStore } from '../store';
import { DAY_SHARDS, dayKey, INDEX, type Item, toStorable } from '../table';

export interface CallKey {
  provider: string;
  callId: string;
}

export interface TimeRange {
  since: Date;
  until: Date;
}

export interface FieldChange {
  /** Dotted path, e.g. `outcome` or `details.agentId`. */
  field: string;
  before: unknown;
  after: unknown;
}

export interface CallReplay extends CallKey {
  change: RecordChange | 'failed';
  /** What the write changed (or, in a dry run, would change); empty when unchanged. */
  fields: FieldChange[];
  error?: string;
}

export interface ReplayResult {
  dryRun: boolean;
  calls: CallReplay[];
  counts: Record<CallReplay['change'], number>;
}

const callKeyOf = (item: Item): CallKey | null => {
  const provider = item.provider?.S;
  const pk = item.pk?.S;
  const prefix = `CALL#${provider}#`;
  if (!provider || !pk?.startsWith(prefix)) return null;
  return { provider, callId: pk.slice(prefix.length) };
};

/** UTC days (YYYY-MM-DD) from `since` to `until`, both included. */
export function daysOf({ since, until }: TimeRange): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  while (day.getTime() <= until.getTime()) {
    days.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The calls whose record time falls in `range`, optionally of one provider: byDay Queries only. */
export async function findCalls(
  store: CallStore,
  range: TimeRange,
  {
    provider,
    concurrency = 8,
    onProgress,
  }: { provider?: string; concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<CallKey[]> {
  // sortKey = <ISO time>#<provider>#<callId>: a string range over the instant, inclusive at both ends.
  const low = range.since.toISOString();
  const high = `${range.until.toISOString()}#\uffff`;
  const partitions = daysOf(range).flatMap((day) =>
    Array.from({ length: DAY_SHARDS }, (_, shard) => dayKey(day, shard)),
  );
  let done = 0;
  const pages = await pool(partitions, concurrency, async (partition) => {
    const keys: CallKey[] = [];
    let start: Item | undefined;
    do {
      const page = await store.query({
        IndexName: INDEX.day,
        KeyConditionExpression: 'dayKey = :day AND sortKey BETWEEN :low AND :high',
        ExpressionAttributeValues: {
          ':day': { S: partition },
          ':low': { S: low },
          ':high': { S: high },
          ...(provider !== undefined && { ':provider': { S: provider } }),
        },
        ...(provider !== undefined && {
          FilterExpression: '#provider = :provider',
          ExpressionAttributeNames: { '#provider': 'provider' },
        }),
        ExclusiveStartKey: start,
      });
      for (const item of page.items) {
        const key = callKeyOf(item);
        if (key) keys.push(key);
      }
      start = page.next;
    } while (start);
    onProgress?.(++done, partitions.length);
    return keys;
  });
  const unique = new Map<string, CallKey>();
  for (const key of pages.flat()) unique.set(`${key.provider}#${key.callId}`, key);
  return [...unique.values()];
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Leaf paths of a record as stored (nested maps flattened, arrays compared whole). */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (isPlainObject(value) && (prefix === '' || Object.keys(value).length > 0)) {
    for (const [key, entry] of Object.entries(value)) flatten(entry, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Field-by-field difference between a stored record and a rebuilt one, as DynamoDB would hold them. */
export function diffRecords(before: CallRecord | undefined, after: CallRecord | undefined): FieldChange[] {
  const a = flatten(toStorable(before ?? {}));
  const b = flatten(toStorable(after ?? {}));
  const changes: FieldChange[] = [];
  for (const field of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [x, y] = [a.get(field), b.get(field)];
    if (JSON.stringify(x) !== JSON.stringify(y)) changes.push({ field, before: x, after: y });
  }
  return changes;
}

export interface ReplayOptions {
  store: CallStore;
  normalizers: Readonly<Record<string, ProviderNormalizer>>;
  calls: readonly CallKey[];
  dryRun?: boolean;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Rebuilds each call's record from its raw deliveries; in a dry run, reports without writing. */
export async function replayCalls({
  store,
  normalizers,
  calls,
  dryRun = false,
  concurrency = 4,
  onProgress,
}: ReplayOptions): Promise<ReplayResult> {
  let done = 0;
  const results = await pool(calls, concurrency, async (key): Promise<CallReplay> => {
    try {
      const normalizer = normalizers[key.provider];
      if (!normalizer) throw new Error(`no normalizer for provider ${key.provider}`);
      const before = await store.getRecord(key.provider, key.callId);
      const { change, record } = await rebuildRecord(normalizer, store, key.callId, { dryRun, replay: true });
      const fields = change === 'created' || change === 'updated' ? diffRecords(before?.record, record) : [];
      return { ...key, change, fields };
    } catch (error) {
      return { ...key, change: 'failed', fields: [], error: (error as Error).message };
    } finally {
      onProgress?.(++done, calls.length);
    }
  });
  const counts: ReplayResult['counts'] = {
    created: 0,
    updated: 0,
    unchanged: 0,
    pending: 0,
    'no-call': 0,
    kept: 0,
    duplicate: 0,
    forged: 0,
    failed: 0,
  };
  for (const call of results) counts[call.change] += 1;
  return { dryRun, calls: results, counts };
}
