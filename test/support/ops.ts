/** The ops commands (redrive, replay) run in-process against a test stack's emulators, output captured. */
import type { CommandIo, redriveCommand } from '../../lib/ops/commands';
import type { TestStack } from './stack';

/** Runs `command` with `args` against `target`'s SQS and DynamoDB; returns its exit code and output. */
export async function runOpsCommand(
  command: typeof redriveCommand,
  target: Pick<TestStack, 'sqsEmulator' | 'dynamoEmulator'>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: {
      write: (chunk: string | Uint8Array) => {
        stdout += String(chunk);
        return true;
      },
    },
    // Not a terminal, as in CI: no progress bar.
    stderr: Object.assign(Object.create(process.stderr), {
      isTTY: false,
      write: (chunk: string | Uint8Array) => {
        stderr += String(chunk);
        return true;
      },
    }),
    env: {
      AWS_ENDPOINT_URL_SQS: target.sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: target.dynamoEmulator.endpoint,
    },
  };
  const code = await command(args, io);
  return { code, stdout, stderr };
}
