/**
 * The deployed reconciler's wiring (functions/reconcile.ts): one scheduled function per provider in
 * the stage param `reconcileProviders`, named by RECONCILE_PROVIDER. Its credential is the SSM
 * SecureString `<SECRETS_PATH>/<provider>-api`, read each run; the run's counts are logged and
 * `CallsRecovered` is emitted (EMF) for the alarm; a failed run throws, so its Errors show.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { apiBaseUrl, credentialsFromSsm } from './api-credentials';
import { requireEnv } from './config';
import { logger } from './log';
import { METRIC, type MetricsSink, metrics } from './metrics';
import { providerApis } from './providers/api-registry';
import { buildEnqueue, createSqsClient } from './queue';
import {
  createReconcileJob,
  DEFAULT_LOOKBACK_MINUTES,
  minutesSetting,
  type ReconcileJob,
} from './reconcile-job';
import { buildCallStore, createDynamoClient } from './store';

export function awsReconcileJob(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReconcileJob {
  const provider = requireEnv('RECONCILE_PROVIDER');
  const api = providerApis[provider];
  if (!api) throw new Error(`RECONCILE_PROVIDER=${provider} has no list API`);
  const ssm = new SSMClient({});
  const secretsPath = requireEnv('SECRETS_PATH');
  return createReconcileJob({
    api,
    store: buildCallStore(createDynamoClient(), requireEnv('TABLE_NAME')),
    // The queue is not in a webhook's deadline here: a slower SendMessage is still a success.
    enqueue: buildEnqueue(createSqsClient(), requireEnv('QUEUE_URL'), 10_000),
    credentials: () => credentialsFromSsm(api, ssm, secretsPath),
    baseUrl: apiBaseUrl(api, env),
    lookbackMinutes: minutesSetting(env, 'RECONCILE_LOOKBACK_MINUTES', DEFAULT_LOOKBACK_MINUTES),
  });
}

/** One run: counts logged, CallsRecovered emitted (0 too, so the alarm sees data), failures thrown. */
export async function reconcileOnce(job: ReconcileJob, sink: MetricsSink = metrics, log = logger) {
  const run = await job();
  const { counts, window } = run;
  sink.count(METRIC.callsRecovered, { provider: counts.provider }, counts.enqueued);
  const summary = {
    ...counts,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    advanced: run.advanced,
    apiRequests: run.apiRequests,
  };
  if (run.error || !run.advanced) {
    log.error('reconcile run failed; its window is left for the next run', {
      ...summary,
      error: run.error?.message,
    });
    throw (
      run.error ??
      new Error(`${counts.failed} call(s) could not be enqueued; the window is left for the next run`)
    );
  }
  log.info('reconcile run', summary);
  return summary;
}
