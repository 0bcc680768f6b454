/**
 * What the deployed functions tell operators: one JSON log line and a few EMF metrics per webhook
 * request and per consumed message. Every line carries the same correlation fields — provider,
 * callId, deliveryId, requestId (API Gateway), messageId (SQS) — each one as soon as it is known
 * (Powertools leaves out empty keys: a 401 has no delivery id yet), so one
 * Logs Insights query follows a delivery from the HTTP request to its record. Only those named
 * fields are logged: never bodies, headers, tokens or transcripts.
 */
import type { Context } from 'aws-lambda';
import type { ConsumerOutcome, RecordChange } from './consumer';
import { EnqueueError, ServiceUnavailableError, UnauthorizedError } from './errors';
import type { IngressOutcome } from './ingress';
import { clipText, logger as defaultLogger, describeError } from './log';
import { metrics as defaultMetrics, METRIC, type MetricsSink } from './metrics';

type LogSink = Pick<typeof defaultLogger, 'info' | 'warn' | 'error' | 'addContext'>;

export interface ObserveSinks {
  logger: LogSink;
  metrics: MetricsSink;
}

const defaults: ObserveSinks = { logger: defaultLogger, metrics: defaultMetrics };

export type RejectionReason =
  | 'unauthorized'
  /** A challenging scheme's first try without credentials (HTTP Basic): not a misconfiguration by itself. */
  | 'challenged'
  | 'bad_request'
  | 'too_large'
  | 'method'
  | 'client_error'
  | 'enqueue_failed'
  | 'dependency_unavailable'
  | 'internal'
  /** Counted by the consumer: a body under a signature that already vouched for another (issue 18). */
  | 'reused_signature';

/** The `reason` dimension of DeliveriesRejected; null for an accepted delivery. */
export function rejectionReason({ statusCode, error }: IngressOutcome): RejectionReason | null {
  if (statusCode < 400) return null;
  if (error instanceof EnqueueError) return 'enqueue_failed';
  if (error instanceof ServiceUnavailableError) return 'dependency_unavailable';
  if (statusCode >= 500) return 'internal';
  if (error instanceof UnauthorizedError && error.challenge !== undefined && error.absent)
    return 'challenged';
  const byStatus: Record<number, RejectionReason> = {
    400: 'bad_request',
    401: 'unauthorized',
    405: 'method',
    413: 'too_large',
    431: 'too_large',
  };
  return byStatus[statusCode] ?? 'client_error';
}

/** The warning for a callback that only a call-answer URL receives (IngressOutcome.callAnswerUrl). */
export const CALL_ANSWER_URL_WARNING =
  'registered as the call-answer URL? calls will fail; register the status callback instead';

/** Whether a warning under `key` may be logged now: at most once per `intervalMs` per key. */
export type WarningGate = (key: string) => boolean;

/** Per container (module scope in a Lambda): a misregistration warns once, not on every call. */
export function warningGate(intervalMs = 10 * 60_000, now: () => number = Date.now): WarningGate {
  const last = new Map<string, number>();
  return (key) => {
    const previous = last.get(key);
    if (previous !== undefined && now() - previous < intervalMs) return false;
    last.set(key, now());
    return true;
  };
}

const containerWarnings = warningGate();

export function observeIngress(
  outcome: IngressOutcome,
  { logger, metrics }: ObserveSinks = defaults,
  mayWarn: WarningGate = containerWarnings,
): void {
  const fields = {
    provider: outcome.provider,
    callId: outcome.callId,
    deliveryId: outcome.deliveryId,
    requestId: outcome.requestId,
    messageId: outcome.messageId,
    eventType: outcome.eventType,
    statusCode: outcome.statusCode,
  };
  const byProvider = { provider: outcome.provider };
  metrics.count(METRIC.deliveriesReceived, byProvider);
  const reason = rejectionReason(outcome);
  if (outcome.callAnswerUrl && mayWarn(`call-answer-url:${outcome.provider}`)) {
    logger.warn(CALL_ANSWER_URL_WARNING, fields);
  }
  if (reason === null) {
    metrics.count(METRIC.deliveriesEnqueued, byProvider);
    logger.info('delivery enqueued', fields);
    return;
  }
  metrics.count(METRIC.deliveriesRejected, byProvider);
  metrics.count(METRIC.deliveriesRejected, { ...byProvider, reason });
  if (outcome.statusCode < 500) {
    logger.warn('delivery rejected', { ...fields, reason, detail: clipText(outcome.reason) });
  } else {
    logger.error('delivery failed', { ...fields, reason, error: describeError(outcome.error) });
  }
}

const CHANGE_METRIC: Partial<Record<RecordChange, (typeof METRIC)[keyof typeof METRIC]>> = {
  created: METRIC.recordsCreated,
  updated: METRIC.recordsUpdated,
  unchanged: METRIC.duplicateDeliveries,
  duplicate: METRIC.duplicateDeliveries,
};

export function observeConsumer(
  outcome: ConsumerOutcome,
  { logger, metrics }: ObserveSinks = defaults,
  now: () => number = Date.now,
): void {
  const { delivery } = outcome;
  const fields = {
    provider: delivery?.provider,
    callId: delivery?.callId,
    deliveryId: delivery?.deliveryId,
    requestId: delivery?.requestId,
    messageId: outcome.messageId,
    eventType: delivery?.eventType,
  };
  // An undecodable message has no provider; it still counts, under `unknown`.
  const byProvider = { provider: delivery?.provider ?? 'unknown' };
  if (outcome.error !== undefined) {
    metrics.count(METRIC.consumerFailures, byProvider);
    metrics.count(METRIC.consumerFailures, {});
    logger.error('delivery processing failed', { ...fields, error: describeError(outcome.error) });
    return;
  }
  if (outcome.change === 'forged') {
    // A re-split of a signed body (issue 18): dropped, stored nowhere; an operator should know.
    metrics.count(METRIC.deliveriesRejected, byProvider);
    metrics.count(METRIC.deliveriesRejected, { ...byProvider, reason: 'reused_signature' });
    logger.warn('delivery dropped: its signature already vouched for another body', {
      ...fields,
      reason: 'reused_signature',
    });
    return;
  }
  const lagMs = delivery ? now() - Date.parse(delivery.receivedAt) : undefined;
  metrics.count(METRIC.deliveriesProcessed, byProvider);
  const changeMetric = outcome.change && CHANGE_METRIC[outcome.change];
  if (changeMetric) metrics.count(changeMetric, byProvider);
  if (lagMs !== undefined && Number.isFinite(lagMs))
    metrics.milliseconds(METRIC.ingestLag, byProvider, lagMs);
  logger.info('delivery processed', { ...fields, change: outcome.change, lagMs });
}

/**
 * Wraps a deployed handler: Lambda context on every log line (function request id, cold start),
 * and the invocation's metrics flushed when it ends, whether it succeeded or threw.
 */
export const withObservability =
  <E, R>(
    handler: (event: E, context?: Context) => Promise<R>,
    { logger, metrics }: ObserveSinks = defaults,
  ): ((event: E, context?: Context) => Promise<R>) =>
  async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } finally {
      metrics.flush();
    }
  };
