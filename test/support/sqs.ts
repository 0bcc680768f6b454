/** SQS event records as Lambda's event source mapping hands them to the consumer. */
import type { SQSRecord } from 'aws-lambda';

/** A first-receive record of `body`; its receipt handle is the message id unless given. */
export const sqsRecord = ({
  messageId,
  body,
  receiptHandle = messageId,
}: {
  messageId: string;
  body: string;
  receiptHandle?: string;
}): SQSRecord => ({
  messageId,
  receiptHandle,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:deliveries',
  awsRegion: 'us-east-1',
});
