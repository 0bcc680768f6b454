/** SQS adapter for the ingress: bounded so a slow queue becomes a 503 well inside any provider deadline. */
import { SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/** Resolves once the message is durably queued, with its SQS message id when the adapter knows it. */
// biome-ignore lint/suspicious/noConfusingVoidType: wrappers and test doubles resolve with nothing
export type Enqueue = (messageBody: string) => Promise<string | undefined | void>;

/** Overall budget for one SendMessage including SDK retries (CallKaro allows 5 s in total). */
export const ENQUEUE_DEADLINE_MS = 2_500;

export const createSqsClient = (config: SQSClientConfig = {}): SQSClient =>
  new SQSClient({
    maxAttempts: 3,
    // A connection that cannot open in 500 ms or a request silent for 1 s is retried, not waited on
    // (without throwOnRequestTimeout, Smithy only logs a warning and keeps waiting on the stalled socket).
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
    ...config,
  });

export const buildEnqueue =
  (client: SQSClient, queueUrl: string, deadlineMs = ENQUEUE_DEADLINE_MS): Enqueue =>
  async (messageBody) => {
    // A timer cleared on completion: AbortSignal.timeout keeps one alive per request for the full deadline.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs);
    try {
      const { MessageId } = await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: messageBody }),
        { abortSignal: deadline.signal },
      );
      return MessageId;
    } finally {
      clearTimeout(timer);
    }
  };
