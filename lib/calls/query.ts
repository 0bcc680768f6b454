/**
 * The `calls` CLI's reads. Every one is a GetItem, a Query on the table or one of its indexes, or a
 * BatchGetItem of records found by a Query — never a Scan. Lists come from an index ordered by
 * sortKey (`<time>#<provider>#<callId>`), newest first, paginated past DynamoDB's pages, then
 * hydrated with the full records.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ProviderNormalizer } from '../providers/types';
import type { CallRecord } from '../record';
import type { CallStore } from '../store';
import { DAY_SHARDS, dayKey, INDEX, type StoredRecord } from '../table';
import type { ListFilters } from './args';

export interface CallReader {
  store: CallStore;
  normalizers: Readonly<Record<string, ProviderNormalizer>>;
}

export interface RawDelivery {
  deliveryId: string;
  receivedAt: string;
  eventType: string;
  /** The exact raw request body. */
  body: string;
}

/** The record as stored; details the item had to leave out are rebuilt from the raw deliveries. */
async function complete(reader: CallReader, stored: StoredRecord): Promise<CallRecord> {
  if (!stored.detailsTruncated) return stored.record;
  const { provider, callId } = stored.record;
  const normalizer = reader.normalizers[provider];
  const rebuilt = normalizer?.toCallRecord(await reader.store.loadDeliveries(provider, callId));
  return rebuilt ? { ...stored.record, details: rebuilt.details } : stored.record;
}

export async function getCall(
  reader: CallReader,
  provider: string,
  callId: string,
): Promise<CallRecord | null> {
  const stored = await reader.store.getRecord(provider, callId);
  return stored && complete(reader, stored);
}

/** Every delivery stored for the call, in the order they were received. */
export async function getRawDeliveries(
  reader: CallReader,
  provider: string,
  callId: string,
): Promise<RawDelivery[]> {
  const deliveries = await reader.store.loadDeliveries(provider, callId);
  return deliveries
    .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0))
    .map(({ deliveryId, receivedAt, eventType, body }) => ({ deliveryId, receivedAt, eventType, body }));
}

interface IndexEntry {
  pk: string;
  sortKey: string;
}

interface IndexQuery {
  index: string;
  keyAttribute: string;
  keyValue: string;
  /** Inclusive sortKey bounds. */
  from?: string;
  to?: string;
  provider?: string;
  outcome?: string;
  pageSize: number;
}

/** One index key's entries, newest first, page after page. */
async function* queryIndex(store: CallStore, q: IndexQuery): AsyncGenerator<IndexEntry> {
  const names: Record<string, string> = { '#key': q.keyAttribute };
  const values: Record<string, AttributeValue> = { ':key': { S: q.keyValue } };
  let condition = '#key = :key';
  if (q.from !== undefined || q.to !== undefined) names['#sort'] = 'sortKey';
  if (q.from !== undefined) values[':from'] = { S: q.from };
  if (q.to !== undefined) values[':to'] = { S: q.to };
  if (q.from !== undefined && q.to !== undefined) condition += ' AND #sort BETWEEN :from AND :to';
  else if (q.from !== undefined) condition += ' AND #sort >= :from';
  else if (q.to !== undefined) condition += ' AND #sort <= :to';
  // provider and outcome are projected into every index, so DynamoDB filters them before returning.
  const filters: string[] = [];
  for (const attribute of ['provider', 'outcome'] as const) {
    const value = q[attribute];
    if (value === undefined) continue;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = { S: value };
    filters.push(`#${attribute} = :${attribute}`);
  }
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await store.query({
      IndexName: q.index,
      KeyConditionExpression: condition,
      FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: q.pageSize,
      ExclusiveStartKey: start,
    });
    for (const item of page.items) {
      const pk = item.pk?.S;
      const sortKey = item.sortKey?.S;
      if (pk !== undefined && sortKey !== undefined) yield { pk, sortKey };
    }
    start = page.next;
  } while (start);
}

/** Several newest-first streams as one newest-first stream, each read only as far as needed. */
async function* newestFirst(streams: AsyncIterator<IndexEntry>[]): AsyncGenerator<IndexEntry> {
  const heads = await Promise.all(streams.map((stream) => stream.next()));
  for (;;) {
    let pick = -1;
    let newest: IndexEntry | undefined;
    heads.forEach((head, i) => {
      if (!head.done && (newest === undefined || head.value.sortKey > newest.sortKey)) {
        pick = i;
        newest = head.value;
      }
    });
    const stream = streams[pick];
    if (newest === undefined || stream === undefined) return;
    yield newest;
    heads[pick] = await stream.next();
  }
}

async function* unique(entries: AsyncIterable<IndexEntry>): AsyncGenerator<IndexEntry> {
  const seen = new Set<string>();
  for await (const entry of entries) {
    if (seen.has(entry.pk)) continue;
    seen.add(entry.pk);
    yield entry;
  }
}

const DAY_MS = 86_400_000;
/** How far back a list with no number, agent or batch looks when --since is not given. */
export const DEFAULT_LOOKBACK_DAYS = 30;

const days = (from: string, to: string): string[] => {
  const result: string[] = [];
  for (let t = Date.parse(`${to.slice(0, 10)}T00:00:00Z`); ; t -= DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day < from.slice(0, 10)) return result;
    result.push(day);
  }
};

/** Days whose shard queries run ahead of the one being read: most days of a long range are empty. */
const DAYS_AHEAD = 4;

/** byDay: day after day from `to` back to `from`, each day's shards merged. */
async function* walkDays(
  store: CallStore,
  base: Omit<IndexQuery, 'index' | 'keyAttribute' | 'keyValue'> & { from: string; to: string },
): AsyncGenerator<IndexEntry> {
  const pending = days(base.from, base.to);
  const start = (day: string) => {
    const shards = Array.from({ length: DAY_SHARDS }, (_, shard) =>
      queryIndex(store, { ...base, index: INDEX.day, keyAttribute: 'dayKey', keyValue: dayKey(day, shard) }),
    );
    const entries = newestFirst(shards);
    const first = entries.next();
    // Read later (or never, once the limit is reached): a failure surfaces when it is awaited.
    first.catch(() => {});
    return { entries, first };
  };
  const ahead = pending.splice(0, DAYS_AHEAD).map(start);
  for (let current = ahead.shift(); current; current = ahead.shift()) {
    const day = pending.shift();
    if (day !== undefined) ahead.push(start(day));
    for (let next = await current.first; !next.done; next = await current.entries.next()) yield next.value;
  }
}

export interface ListOptions {
  /** Items per DynamoDB page (default: the limit, at most 1000). */
  pageSize?: number;
  now?: () => Date;
  /** Told about a record that cannot be read (corrupt item), which the list then skips (issue 18). */
  onUnreadable?: (pk: string, error: Error) => void;
}

/**
 * Calls matching every filter, newest first. The index: byFrom + byTo for --number, else byAgent,
 * else byBatch, else byDay over the time range; other agent/batch filters apply to the records.
 */
export async function listCalls(
  reader: CallReader,
  filters: ListFilters,
  { pageSize, now = () => new Date(), onUnreadable }: ListOptions = {},
): Promise<CallRecord[]> {
  const { limit } = filters;
  // '\uffff' sorts after '#…': an --until date or instant includes every call at it.
  const to = filters.until && `${filters.until.key}\uffff`;
  const base = {
    from: filters.since?.key,
    to,
    provider: filters.provider,
    outcome: filters.outcome,
    pageSize: pageSize ?? Math.min(limit, 1000),
  };
  const byKey = (index: string, keyAttribute: string, keyValue: string) =>
    queryIndex(reader.store, { ...base, index, keyAttribute, keyValue });

  let entries: AsyncIterable<IndexEntry>;
  let keyFilter: 'number' | 'agent' | 'batch' | 'day';
  if (filters.number !== undefined) {
    keyFilter = 'number';
    // A call between two parties appears in both indexes (the same number on both sides, even).
    entries = unique(
      newestFirst([byKey(INDEX.from, 'fromKey', filters.number), byKey(INDEX.to, 'toKey', filters.number)]),
    );
  } else if (filters.agent !== undefined) {
    keyFilter = 'agent';
    entries = byKey(INDEX.agent, 'agentKey', filters.agent);
  } else if (filters.batch !== undefined) {
    keyFilter = 'batch';
    entries = byKey(INDEX.batch, 'batchKey', filters.batch);
  } else {
    keyFilter = 'day';
    const until = filters.until ?? { key: now().toISOString(), instant: now().getTime() };
    const since =
      filters.since?.key ?? new Date(until.instant - DEFAULT_LOOKBACK_DAYS * DAY_MS).toISOString();
    const end = `${until.key}\uffff`;
    if (since > end) return [];
    entries = walkDays(reader.store, { ...base, from: since, to: end });
  }

  const keep = (record: CallRecord) =>
    (keyFilter === 'agent' || filters.agent === undefined || record.details.agentId === filters.agent) &&
    (keyFilter === 'batch' || filters.batch === undefined || record.details.batchId === filters.batch) &&
    // `sources` is not projected into the indexes: a record-level filter. Records from before
    // reconciliation have none and came from webhooks.
    (filters.source === undefined || (record.sources ?? ['webhook']).includes(filters.source));
  const filtered =
    (keyFilter === 'number' && (filters.agent ?? filters.batch) !== undefined) ||
    (keyFilter === 'agent' && filters.batch !== undefined) ||
    filters.source !== undefined;

  const found: CallRecord[] = [];
  const iterator = entries[Symbol.asyncIterator]();
  while (found.length < limit) {
    // With a record-level filter some hydrated records are dropped, so read ahead a little.
    const want = filtered ? Math.max(limit - found.length, 25) : limit - found.length;
    const batch: IndexEntry[] = [];
    while (batch.length < want) {
      const next = await iterator.next();
      if (next.done) break;
      batch.push(next.value);
    }
    if (batch.length === 0) break;
    for (const stored of await reader.store.getRecords(batch, onUnreadable)) {
      if (found.length >= limit || !keep(stored.record)) continue;
      try {
        found.push(await complete(reader, stored));
      } catch (error) {
        // Its details live in deliveries that cannot be read: skip it when told how to say so.
        if (!onUnreadable) throw error;
        const { provider, callId } = stored.record;
        onUnreadable(`CALL#${provider}#${callId}`, error as Error);
      }
    }
    if (batch.length < want) break;
  }
  return found;
}
