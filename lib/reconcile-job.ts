/**
 * One provider's scheduled reconciler, as the deployed function and `npm start` run it: credentials
 * resolved per run (a rotated credential needs no redeploy), the window from the mark in the table,
 * the calls without a record enqueued, the mark advanced only when the run completed.
 */
import type { ResolvedCredentials } from './api-credentials';
import { createApiClient, type ProviderApi } from './providers/api';
import type { Enqueue } from './queue';
import { runScheduledReconcile, type ScheduledRun } from './reconcile';
import type { CallStore } from './store';

export const DEFAULT_RECONCILE_MINUTES = 15;
export const DEFAULT_LOOKBACK_MINUTES = 60;

export interface ReconcileJobOptions<C> {
  api: ProviderApi<C>;
  store: Pick<CallStore, 'recordedCallIds' | 'getReconcileMark' | 'advanceReconcileMark'>;
  enqueue: Enqueue;
  credentials: () => Promise<ResolvedCredentials<C>>;
  baseUrl: string;
  lookbackMinutes: number;
  fetch?: typeof fetch;
  maxDelayMs?: number;
  now?: () => Date;
}

export type ReconcileJob = () => Promise<ScheduledRun & { apiRequests: number }>;

export function createReconcileJob<C>(options: ReconcileJobOptions<C>): ReconcileJob {
  const { api, store } = options;
  return async () => {
    const { credentials, source } = await options.credentials();
    const client = createApiClient({
      provider: api.name,
      baseUrl: options.baseUrl,
      authorization: api.authorization(credentials),
      credentialSource: source,
      fetch: options.fetch,
      maxDelayMs: options.maxDelayMs,
    });
    const run = await runScheduledReconcile(
      {
        api,
        client,
        credentials,
        recorded: (provider, ids) => store.recordedCallIds(provider, ids),
        enqueue: options.enqueue,
        origin: 'reconcile',
        now: options.now,
        marks: {
          get: (provider) => store.getReconcileMark(provider),
          advance: (provider, until) => store.advanceReconcileMark(provider, until),
        },
      },
      { lookbackMinutes: options.lookbackMinutes },
    );
    return { ...run, apiRequests: client.stats.requests };
  };
}

/** A whole number of minutes from a setting, or the default; throws naming the variable. */
export function minutesSetting(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  fallback: number,
): number {
  const text = env[variable];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 7 * 24 * 60)
    throw new Error(`${variable}=${text} is not a whole number of minutes (1-10080)`);
  return value;
}
