/** The record Lambda's SQS event source mapping hands a consumer, built from a received message. */
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

export const LOCAL_ACCOUNT_ARN_PREFIX = 'arn:aws:sqs:us-east-1:000000000000:';

export function toSqsRecord(
  message: Pick<Message, 'MessageId' | 'ReceiptHandle' | 'Body' | 'MD5OfBody' | 'Attributes'>,
  queueArn: string,
): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? now,
      SenderId: message.Attributes?.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? now,
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}
