/** `npm run backfill` in-process against a test stack's queue and table, its output captured. */
import { backfillCommand } from '../../lib/backfill';
import type { QueuePoller } from '../../lib/local/poller';
import type { TestStack } from './stack';

export async function runBackfill(
  stack: TestStack,
  poller: QueuePoller,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await backfillCommand(argv, {
    stdout: { write: (text: string) => out.push(text) > 0 },
    stderr: { write: (text: string) => err.push(text) > 0 },
    env: {
      AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEmulator.endpoint,
      ...env,
    },
    target: { table: stack.tableName, queue: stack.queueUrls.queueUrl.split('/').pop() },
  });
  await poller.drain();
  return { code, out: out.join(''), err: err.join('') };
}
