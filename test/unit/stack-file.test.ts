/** .local/stack.json: the CLIs take a running stack's ports, never a dead one's, never over the user's. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findRunningStack,
  removeStackFile,
  stackEnvironment,
  writeStackFile,
} from '../../lib/local/stack-file';

const stack = {
  pid: process.pid,
  url: 'http://127.0.0.1:4000',
  sqs: 'http://127.0.0.1:9400',
  dynamo: 'http://127.0.0.1:8400',
};

describe('.local/stack.json', () => {
  it('is found while its process lives, and ignored once it is dead', () => {
    // Prepare
    const live = mkdtempSync(join(tmpdir(), 'stack-file-'));
    const dead = mkdtempSync(join(tmpdir(), 'stack-file-'));
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    writeStackFile(live, stack);
    writeStackFile(dead, { ...stack, pid: exited });

    // Act & Assess
    expect(findRunningStack([dead, live])).toEqual(stack);
    expect(findRunningStack([dead])).toBeNull();
    removeStackFile(live);
    expect(findRunningStack([live])).toBeNull();
  });

  it("fills in the stack's ports only where the environment names none", () => {
    // Act & Assess
    expect(stackEnvironment({}, stack)).toEqual({ DYNAMODB_PORT: '8400', SQS_PORT: '9400', PORT: '4000' });
    expect(
      stackEnvironment(
        { DYNAMODB_PORT: '8000', AWS_ENDPOINT_URL_SQS: 'http://x', PUBLIC_BASE_URL: 'https://t' },
        stack,
      ),
    ).toEqual({});
    expect(stackEnvironment({}, { ...stack, dynamo: 'https://dynamodb.example.com' })).toEqual({
      SQS_PORT: '9400',
      PORT: '4000',
    });
    expect(stackEnvironment({}, null)).toEqual({});
  });
});
