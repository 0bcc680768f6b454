/**
 * Business metrics as CloudWatch Embedded Metric Format (Powertools Metrics): one JSON line on
 * stdout per dimension set at the end of each invocation, turned into metrics by CloudWatch Logs —
 * no PutMetricData call, no IAM permission, no latency in the request path.
 *
 * Every metric carries the dimensions `service` and `stage` (so stages never mix) plus its own
 * (`provider`, and `reason` for rejections). serverless.yml's alarms and dashboard name these
 * exact metrics and dimension sets.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'CallIntake';

export const METRIC = {
  /** Every request that reached a webhook function, authentic or not. */
  deliveriesReceived: 'DeliveriesReceived',
  /** Requests answered 4xx/5xx; also published per `reason` (see RejectionReason). */
  deliveriesRejected: 'DeliveriesRejected',
  /** Deliveries durably in SQS (answered 200). */
  deliveriesEnqueued: 'DeliveriesEnqueued',
  /** Messages the consumer stored successfully, whatever they did to the record. */
  deliveriesProcessed: 'DeliveriesProcessed',
  recordsCreated: 'RecordsCreated',
  recordsUpdated: 'RecordsUpdated',
  /** A delivery that left its call's record unchanged: a duplicate or a retry. */
  duplicateDeliveries: 'DuplicateDeliveries',
  /** Messages the consumer failed (retried by SQS, then dead-lettered). */
  consumerFailures: 'ConsumerFailures',
  /** Milliseconds from the ingress receiving a delivery to the consumer having stored it. */
  ingestLag: 'IngestLag',
  /** Reconciler (issue 20): ended calls a provider's list API had and no webhook had delivered. */
  callsRecovered: 'CallsRecovered',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
export type MetricDimensions = Readonly<Record<string, string>>;

export interface MetricsSink {
  count(name: MetricName, dimensions: MetricDimensions, value?: number): void;
  milliseconds(name: MetricName, dimensions: MetricDimensions, value: number): void;
  /** Writes everything recorded since the last flush; call once per invocation. */
  flush(): void;
}

/**
 * Groups metrics by dimension set (EMF puts one dimension set on every metric of a document), one
 * Powertools Metrics instance per set. Values of one metric in one invocation share a document.
 */
export function createMetricsSink({
  namespace = process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
  serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'call-intake',
  stage = process.env.STAGE || 'local',
}: {
  namespace?: string;
  serviceName?: string;
  stage?: string;
} = {}): MetricsSink {
  const byDimensions = new Map<string, Metrics>();
  const instanceFor = (dimensions: MetricDimensions): Metrics => {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1)));
    let instance = byDimensions.get(key);
    if (!instance) {
      instance = new Metrics({ namespace, serviceName, defaultDimensions: { stage, ...dimensions } });
      byDimensions.set(key, instance);
    }
    return instance;
  };
  return {
    count: (name, dimensions, value = 1) => {
      instanceFor(dimensions).addMetric(name, MetricUnit.Count, value);
    },
    milliseconds: (name, dimensions, value) => {
      instanceFor(dimensions).addMetric(name, MetricUnit.Milliseconds, Math.max(0, value));
    },
    flush: () => {
      for (const instance of byDimensions.values()) {
        if (instance.hasStoredMetrics()) instance.publishStoredMetrics();
      }
    },
  };
}

/** The deployed functions' sink, flushed by withObservability (lib/observe.ts) after each invocation. */
export const metrics = createMetricsSink();
