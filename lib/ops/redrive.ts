/**
 * Moves dead-lettered deliveries back to the deliveries queue after a fix: receive from the DLQ,
 * SendMessageBatch to the queue, delete from the DLQ only what was sent. Done by hand rather than
 * with StartMessageMoveTask so it works the same on the local emulator (which lacks that API).
 *
 * Safe to interrupt and rerun: a message is deleted from the DLQ only after the queue accepted it,
 * so the worst case is a delivery in both queues, and the consumer is idempotent. A message that
 * fails again and returns to the DLQ during the run is not sent a second time.
 */
import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MAX_MESSAGE_BYTES } from '../envelope';

/** SendMessageBatch accepts at most 10 messages and 1 MiB in total. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES;

export interface QueueCounts {
  /** Messages ready to be received. */
  visible: number;
  /** Messages received by someone and not yet deleted (they reappear after the visibility timeout). */
  inFlight: number;
}

export interface RedriveProgress {
  moved: number;
  failed: number;
  skipped: number;
}

export interface RedriveResult extends RedriveProgress {
  dryRun: boolean;
  /** The dead-letter queue's counts before anything was moved. */
  before: QueueCounts;
  /** Sent to the queue, but the DLQ copy could not be deleted: a rerun sends it again (harmless). */
  notDeleted: number;
}

export interface RedriveOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  queueUrl: string;
  /** Only count what would be moved; receives nothing, so it changes nothing. */
  dryRun?: boolean;
  /** Stop after this many messages (moved + failed + skipped). */
  maxMessages?: number;
  /** How long a received DLQ message stays hidden from others while it is being moved. */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait per receive: on AWS an empty short poll does not prove the queue is empty. */
  waitTimeSeconds?: number;
  /** After each batch; `expected` is the DLQ's visible count at the start (an estimate). */
  onProgress?: (progress: RedriveProgress & { expected: number }) => void;
}

export async function queueUrlOf(sqs: SQSClient, queueName: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new Error(`queue ${queueName} has no URL`);
  return QueueUrl;
}

export async function countMessages(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const { Attributes: a } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(a?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

const fingerprint = (message: Message) =>
  createHash('sha256')
    .update(message.Body ?? '')
    .digest('base64');

/** Groups messages into SendMessageBatch calls within the entry and total-size limits. */
function sendBatches(messages: readonly Message[]): Message[][] {
  const batches: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.Body ?? '');
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function redrive({
  sqs,
  deadLetterQueueUrl,
  queueUrl,
  dryRun = false,
  maxMessages = 10_000,
  visibilityTimeoutSeconds = 120,
  waitTimeSeconds = 1,
  onProgress,
}: RedriveOptions): Promise<RedriveResult> {
  const before = await countMessages(sqs, deadLetterQueueUrl);
  const result: RedriveResult = { dryRun, before, moved: 0, failed: 0, skipped: 0, notDeleted: 0 };
  if (dryRun) return result;
  const sent = new Set<string>();
  const handled = () => result.moved + result.failed + result.skipped;

  while (handled() < maxMessages) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: Math.min(MAX_BATCH_ENTRIES, maxMessages - handled()),
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    // Already sent in this run and dead-lettered again: it still fails, leave it where it is.
    const fresh = Messages.filter((m) => !sent.has(fingerprint(m)));
    result.skipped += Messages.length - fresh.length;

    for (const batch of sendBatches(fresh)) {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && { MessageAttributes: m.MessageAttributes }),
          })),
        }),
      );
      const accepted = (response.Successful ?? []).map((entry) => batch[Number(entry.Id)] as Message);
      result.failed += batch.length - accepted.length;
      for (const m of accepted) sent.add(fingerprint(m));
      if (accepted.length > 0) {
        const deleted = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: deadLetterQueueUrl,
            Entries: accepted.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        result.notDeleted += deleted.Failed?.length ?? 0;
      }
      result.moved += accepted.length;
      onProgress?.({
        moved: result.moved,
        failed: result.failed,
        skipped: result.skipped,
        expected: before.visible,
      });
    }
  }
  return result;
}
