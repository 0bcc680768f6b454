/** SQS event records as Lambda's event source mapping hands them to the consumer. */
import type { SQSRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ARN_PREFIX, toSqsRecord } from '../../lib/local/sqs-event';

/** A first-receive record of `body`; its receipt handle is the message id unless given. */
export const sqsRecord = ({
  messageId,
  body,
  receiptHandle = messageId,
}: {
  messageId: string;
  body: string;
  receiptHandle?: string;
}): SQSRecord =>
  toSqsRecord(
    { MessageId: messageId, ReceiptHandle: receiptHandle, Body: body },
    `${LOCAL_ACCOUNT_ARN_PREFIX}deliveries`,
  );
