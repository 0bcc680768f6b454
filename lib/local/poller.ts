/**
 * What Lambda's SQS event source mapping does, for the local stack and tests: long-poll the queue,
 * hand the consumer a genuine SQS batch event, delete what succeeded and leave the reported
 * failures to reappear after the visibility timeout (and reach the DLQ by the queue's redrive).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { ConsumerHandler } from '../consumer';
import { toSqsRecord } from './sqs-event';

export interface QueuePoller {
  /** Resolves once the queue has no visible or in-flight messages left (or after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<void>;
  /**
   * Stops receiving and waits for the batch in progress (at most `timeoutMs`; by default as long
   * as it takes). A batch not finished by then stays in flight and is received again later.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/** maxReceiveCount of a queue's RedrivePolicy attribute (JSON), if it has one. */
function maxReceivesOf(policy: string | undefined): number | undefined {
  if (!policy) return undefined;
  try {
    const count = Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount);
    return Number.isInteger(count) && count > 0 ? count : undefined;
  } catch {
    return undefined;
  }
}

export async function startQueuePoller({
  sqs,
  queueUrl,
  consumer,
  batchSize = 10,
  waitSeconds = 1,
  onError = (error: unknown) => console.error('consumer poll failed:', (error as Error).message),
  onDeadLetter,
}: {
  sqs: SQSClient;
  queueUrl: string;
  consumer: ConsumerHandler;
  batchSize?: number;
  waitSeconds?: number;
  onError?: (error: unknown) => void;
  /**
   * A message failed its last receive: SQS moves it to the dead-letter queue (the queue's
   * RedrivePolicy) instead of delivering it again.
   */
  onDeadLetter?: (record: SQSRecord, receives: number) => void;
}): Promise<QueuePoller> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
  );
  const queueArn = Attributes?.QueueArn ?? queueUrl;
  const maxReceiveCount = maxReceivesOf(Attributes?.RedrivePolicy);
  let running = true;
  const abort = new AbortController();

  const pollOnce = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    if (Messages.length === 0) return;
    const records = Messages.map((m) => toSqsRecord(m, queueArn));
    const event: SQSEvent = { Records: records };
    let failed: Set<string>;
    try {
      const response = await consumer(event);
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown handler fails the whole batch, as on Lambda.
      onError(error);
      failed = new Set(records.map((r) => r.messageId));
    }
    if (onDeadLetter && maxReceiveCount !== undefined) {
      for (const record of records) {
        const receives = Number(record.attributes.ApproximateReceiveCount);
        if (failed.has(record.messageId) && receives >= maxReceiveCount) onDeadLetter(record, receives);
      }
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  };

  const loop = (async () => {
    while (running) {
      try {
        await pollOnce();
      } catch (error) {
        if (!running) break;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })();

  const countMessages = async () => {
    const { Attributes: a } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };

  return {
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && (await countMessages()) > 0) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop(timeoutMs = Number.POSITIVE_INFINITY) {
      running = false;
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([loop, timeout]);
      clearTimeout(timer);
    },
  };
}
