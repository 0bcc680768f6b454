/**
 * `.local/stack.json`: where a running `npm start` listens, so `calls`, `redrive`, `replay` and
 * `sign` find it on whatever ports it was given, without retyping them. Written once the stack is
 * ready, removed when it stops; a file left by a killed stack names a dead process and is ignored.
 * Import-light on purpose: the CLIs read it before loading anything else.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STACK_FILE_NAME = 'stack.json';

export interface RunningStack {
  pid: number;
  /** The webhook server, e.g. http://127.0.0.1:3000 */
  url: string;
  sqs: string;
  dynamo: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function writeStackFile(dataDir: string, stack: RunningStack): void {
  const file = join(dataDir, STACK_FILE_NAME);
  const temporary = `${file}.${stack.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stack, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Removes the file if it is this process's (a second stack's file is not ours to remove). */
export function removeStackFile(dataDir: string, pid = process.pid): void {
  const file = join(dataDir, STACK_FILE_NAME);
  if (readStackFile(file)?.pid === pid) rmSync(file, { force: true });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readStackFile(file: string): RunningStack | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningStack>;
    const { pid, url, sqs, dynamo } = value;
    if (
      !Number.isInteger(pid) ||
      typeof url !== 'string' ||
      typeof sqs !== 'string' ||
      typeof dynamo !== 'string'
    )
      return null;
    return { pid: pid as number, url, sqs, dynamo };
  } catch {
    return null;
  }
}

const PROJECT_DATA_DIR = fileURLToPath(new URL('../../.local/', import.meta.url));

/** The running stack of `.local/` under the working directory, else under the project; or null. */
export function findRunningStack(dataDirs = [resolve('.local'), PROJECT_DATA_DIR]): RunningStack | null {
  for (const dir of new Set(dataDirs.map((d) => resolve(d)))) {
    const stack = readStackFile(join(dir, STACK_FILE_NAME));
    if (stack && alive(stack.pid)) return stack;
  }
  return null;
}

const LOOPBACK_PORT = /^http:\/\/127\.0\.0\.1:(\d+)\/?$/;

/**
 * What the CLIs' environment lacks to reach `stack`: the ports of its services on 127.0.0.1, each
 * only when the environment names neither that port nor an endpoint URL for the service itself.
 */
export function stackEnvironment(env: Env, stack: RunningStack | null): Record<string, string> {
  if (stack === null) return {};
  const added: Record<string, string> = {};
  for (const [url, portVariable, endpointVariable] of [
    [stack.dynamo, 'DYNAMODB_PORT', 'AWS_ENDPOINT_URL_DYNAMODB'],
    [stack.sqs, 'SQS_PORT', 'AWS_ENDPOINT_URL_SQS'],
    [stack.url, 'PORT', 'PUBLIC_BASE_URL'],
  ] as const) {
    const port = LOOPBACK_PORT.exec(url)?.[1];
    if (port !== undefined && !env[portVariable] && !env[endpointVariable]) added[portVariable] = port;
  }
  return added;
}

/** For scripts/: fills in the running stack's ports before anything reads the environment. */
export function useRunningStack(env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, stackEnvironment(env, findRunningStack()));
}
