/**
 * Reconciliation and backfill, once for every provider with a list API (spec §7): list the calls
 * that ended in a window (the provider's lister), skip those that already have a record (one
 * BatchGetItem per 100 calls), and enqueue each other call's API object as a delivery — the same
 * queue, envelope and consumer as a webhook, so the record is merged order-free and replayable.
 *
 * The scheduled reconciler keeps one item per provider (`RECONCILE#<provider>`) with the end of the
 * last window that completed; a run that failed (an API error, a 429 storm, an enqueue failure)
 * leaves it where it was, so the next run lists that window again.
 */
import { createHash } from 'node:crypto';
import { type Delivery, encodeEnvelope, MAX_BODY_BYTES } from './envelope';
import { API_EVENT, type ApiCall, type ApiClient, type CallWindow, type ProviderApi } from './providers/api';
import type { Enqueue } from './queue';

export interface ReconcileCounts {
  provider: string;
  /** Ended calls the API listed in the window (each once). */
  listed: number;
  alreadyRecorded: number;
  enqueued: number;
  failed: number;
  /**
   * Listed calls whose API id cannot be matched to their webhooks' id: skipped, never stored (only
   * for a provider whose lister reports them, `ProviderApi.reportsUnmatched`).
   */
  unmatched?: number;
  /** The window started before the API's retention: it was listed from here (ISO instant). */
  listedFrom?: string;
}

/** The summary line of a provider's run (spec §7), as backfill and the local reconciler print it. */
export const summaryLine = (c: ReconcileCounts) =>
  `${c.provider}: listed ${c.listed}, already recorded ${c.alreadyRecorded}, enqueued ${c.enqueued}, failed ${c.failed}` +
  (c.unmatched === undefined ? '' : `, unmatched ${c.unmatched}`) +
  (c.listedFrom === undefined ? '' : ` (listed from ${c.listedFrom}: the API keeps no older calls)`);

/** The window, its start moved up to the oldest call the API still keeps (Bandwidth v2: 7 days). */
export function clampToRetention(api: Pick<ProviderApi, 'retentionMs'>, window: CallWindow, now: Date) {
  if (api.retentionMs === undefined) return { window, clamped: false };
  const oldest = new Date(now.getTime() - api.retentionMs);
  if (window.since >= oldest) return { window, clamped: false };
  return {
    window: { since: oldest < window.until ? oldest : window.until, until: window.until },
    clamped: true,
  };
}

/** The existence check: which of these calls of a provider have a record. */
export type RecordedCalls = (provider: string, callIds: readonly string[]) => Promise<ReadonlySet<string>>;

export interface ReconcileDeps<C = unknown> {
  api: ProviderApi<C>;
  client: ApiClient;
  credentials: C;
  recorded: RecordedCalls;
  enqueue: Enqueue;
  /** `backfill` or `reconcile`: the delivery's request id, so `calls raw` says where it came from. */
  origin: string;
  now?: () => Date;
  /** List and check only: nothing is enqueued (`enqueued` counts what would be). */
  dryRun?: boolean;
  onProgress?: (counts: Readonly<ReconcileCounts>) => void;
  /** Deliveries enqueued at once. */
  concurrency?: number;
  /** Told about each call that could not be enqueued (its id and a one-line reason). */
  onFailure?: (callId: string, reason: string) => void;
}

/** Identical API bytes of one provider's call are one delivery id (the ingress's rule, §4). */
export const apiDeliveryId = (provider: string, body: string): string =>
  `api-${createHash('sha256').update(provider).update('\u0000').update(body).digest('hex').slice(0, 40)}`;

export function apiDelivery(provider: string, call: ApiCall, receivedAt: Date, origin: string): Delivery {
  return {
    deliveryId: apiDeliveryId(provider, call.body),
    provider,
    receivedAt: receivedAt.toISOString(),
    requestId: origin,
    eventType: API_EVENT,
    callId: call.callId,
    body: call.body,
  };
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Lists the window and enqueues every ended call without a record. Throws when listing fails (the
 * caller leaves the window to the next run); a call that could not be enqueued counts as failed.
 */
export async function reconcileWindow<C>(
  deps: ReconcileDeps<C>,
  requested: CallWindow,
): Promise<ReconcileCounts> {
  const { api, client, credentials } = deps;
  const now = deps.now ?? (() => new Date());
  const counts: ReconcileCounts = {
    provider: api.name,
    listed: 0,
    alreadyRecorded: 0,
    enqueued: 0,
    failed: 0,
    ...(api.reportsUnmatched && { unmatched: 0 }),
  };
  const clamp = clampToRetention(api, requested, now());
  const window = clamp.window;
  if (clamp.clamped) counts.listedFrom = window.since.toISOString();
  // A call can be on two lists (Twilio by end and by start time) or on two pages (a time-paged API).
  const seen = new Set<string>();
  for await (const page of api.listCalls(client, credentials, window)) {
    const fresh: ApiCall[] = [];
    for (const call of page) {
      if (!call.ended || seen.has(call.callId)) continue;
      seen.add(call.callId);
      if (call.unmatched) counts.unmatched = (counts.unmatched ?? 0) + 1;
      else fresh.push(call);
    }
    if (fresh.length === 0) {
      deps.onProgress?.(counts);
      continue;
    }
    counts.listed += fresh.length;
    const recorded = new Set<string>();
    for (let i = 0; i < fresh.length; i += 100) {
      for (const id of await deps.recorded(
        api.name,
        fresh.slice(i, i + 100).map((c) => c.callId),
      ))
        recorded.add(id);
    }
    const missing = fresh.filter((call) => !recorded.has(call.callId));
    counts.alreadyRecorded += fresh.length - missing.length;
    deps.onProgress?.(counts);
    await eachLimited(missing, deps.concurrency ?? 16, async (listed) => {
      try {
        const call = api.completeCall ? await api.completeCall(client, credentials, listed) : listed;
        if (Buffer.byteLength(call.body) > MAX_BODY_BYTES)
          throw new Error(`its API object is ${Buffer.byteLength(call.body)} bytes, over ${MAX_BODY_BYTES}`);
        if (!deps.dryRun) await deps.enqueue(encodeEnvelope(apiDelivery(api.name, call, now(), deps.origin)));
        counts.enqueued += 1;
      } catch (error) {
        // Authentication and rate-limit trouble ends the run (nothing more would succeed).
        if ((error as Error)?.name === 'ApiAuthError' || (error as Error)?.name === 'ApiRateLimitError')
          throw error;
        counts.failed += 1;
        deps.onFailure?.(listed.callId, (error as Error)?.message ?? String(error));
      }
      deps.onProgress?.(counts);
    });
  }
  return counts;
}

/** Where the scheduled reconciler keeps the end of its last completed window. */
export interface ReconcileMarks {
  get(provider: string): Promise<Date | null>;
  /** Moves the mark forward to `until` (never back). */
  advance(provider: string, until: Date): Promise<void>;
}

export interface ScheduleSettings {
  lookbackMinutes: number;
  /** The window ends this long before now: calls that just ended may not be listed yet. */
  settleMinutes?: number;
}

/** [last completed window's end − lookback, now − 2 min] (spec §7); a first run looks back from now. */
export function nextWindow(completedUntil: Date | null, now: Date, settings: ScheduleSettings): CallWindow {
  const settled = new Date(now.getTime() - (settings.settleMinutes ?? 2) * 60_000);
  const from = completedUntil !== null && completedUntil < settled ? completedUntil : settled;
  // After an outage the runs catch up a day at a time: each run's listing stays bounded, and a
  // window that keeps failing (the reconcile-failing alarm) does not grow with every run.
  const until = new Date(Math.min(settled.getTime(), from.getTime() + MAX_CATCH_UP_MS));
  return { since: new Date(from.getTime() - settings.lookbackMinutes * 60_000), until };
}

/** The most one scheduled run moves past its mark. */
const MAX_CATCH_UP_MS = 24 * 60 * 60_000;

export interface ScheduledRun {
  window: CallWindow;
  counts: ReconcileCounts;
  /** Whether the mark moved to the window's end (only when nothing failed). */
  advanced: boolean;
  error?: Error;
}

/** One scheduled run: the window from the mark, reconciled; the mark advanced only on full success. */
export async function runScheduledReconcile<C>(
  deps: ReconcileDeps<C> & { marks: ReconcileMarks },
  settings: ScheduleSettings,
): Promise<ScheduledRun> {
  const now = (deps.now ?? (() => new Date()))();
  const window = nextWindow(await deps.marks.get(deps.api.name), now, settings);
  let counts: ReconcileCounts = {
    provider: deps.api.name,
    listed: 0,
    alreadyRecorded: 0,
    enqueued: 0,
    failed: 0,
  };
  const progress = deps.onProgress;
  try {
    counts = await reconcileWindow(
      {
        ...deps,
        onProgress: (c) => {
          counts = { ...c };
          progress?.(c);
        },
      },
      window,
    );
  } catch (error) {
    return { window, counts, advanced: false, error: error as Error };
  }
  if (counts.failed > 0) return { window, counts, advanced: false };
  await deps.marks.advance(deps.api.name, window.until);
  return { window, counts, advanced: true };
}
