/** The local stack's log line for a delivery that failed its last receive and goes to the DLQ. */
import type { SQSRecord } from 'aws-lambda';
import { decodeEnvelope } from '../envelope';
import { printable } from '../printable';

export const deadLetterLine = (record: SQSRecord, receives: number, deadLetterQueue: string): string => {
  let what: string;
  try {
    const delivery = decodeEnvelope(record.body);
    what = `${delivery.provider} ${delivery.eventType} ${delivery.callId ?? '(no call)'}, delivery ${delivery.deliveryId}`;
  } catch {
    what = `message ${record.messageId}`;
  }
  return printable(
    `consumer: ${what} failed ${receives} times: dead-lettered to ${deadLetterQueue}; fix the cause, then npm run -s redrive`,
  );
};
