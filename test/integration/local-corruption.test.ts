/**
 * Issue 18, item 6: the local stack refuses to start on `.local/` data it can tell is damaged —
 * before printing `ready:` and before the engine touches it — with the one-line error it already
 * uses for a broken folder: a table folder with data but no CURRENT (LevelDB would start an empty
 * table and delete the old files), a truncated log, garbage in a table file; a queue database whose
 * WAL was deleted after a crash (its -shm left behind) or whose WAL header is garbled.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalStack, LocalStackError, startLocalStack } from '../../lib/local/stack';

const SECRETS = {
  BANDWIDTH_WEBHOOK_USERNAME: 'bw-user',
  BANDWIDTH_WEBHOOK_PASSWORD: 'bw-pass',
  CALLKARO_WEBHOOK_TOKEN: 'ck-token',
};
const BROKEN_TABLE = /^cannot open .*dynamodb \(.*\): fix it or delete it \(its calls are lost\)$/;
const BROKEN_QUEUE =
  /^cannot open .*sqs\/fauxqs\.db \(.*\): fix it or delete it \(its queued deliveries are lost\)$/;

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'call-intake-corrupt-'));
  dirs.push(dir);
  return dir;
};
const running: LocalStack[] = [];
const logs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  logs.length = 0;
});

const start = async (dataDir: string) => {
  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir,
    env: SECRETS,
    log: (l) => logs.push(l),
  });
  running.push(stack);
  return stack;
};
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the start to fail');
    },
    (error: Error) => error,
  );

/** A data folder of a stack started and stopped twice: its table has a log and table files. */
async function usedDataDir(): Promise<string> {
  const dataDir = tempDir();
  for (let i = 0; i < 2; i++) {
    const stack = await start(dataDir);
    await fetch(`${stack.url}/webhooks/callkaro/ck-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'call_ended', data: { callSid: `corrupt-${i}`, status: 'completed' } }),
    });
    await running.splice(running.indexOf(stack), 1)[0]?.stop();
  }
  logs.length = 0;
  return dataDir;
}

/** A copy of `source` damaged by `damage(tableFolder, queueFolder)`. */
function damaged(source: string, damage: (table: string, queue: string) => void): string {
  const copy = tempDir();
  cpSync(source, copy, { recursive: true });
  damage(join(copy, 'dynamodb'), join(copy, 'sqs'));
  return copy;
}

const filesOf = (folder: string, suffix: string) =>
  readdirSync(folder)
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(folder, name));

describe('npm start on damaged .local data', () => {
  it('refuses a table folder with data but no CURRENT, a truncated log and garbage in a table file, and keeps the files', async () => {
    // Prepare
    const source = await usedDataDir();
    const noCurrent = damaged(source, (table) => rmSync(join(table, 'CURRENT')));
    const truncatedLog = damaged(source, (table) => {
      const log = filesOf(table, '.log').find((file) => statSync(file).size > 8);
      if (!log) throw new Error('no log with records');
      truncateSync(log, statSync(log).size - 3);
    });
    const garbage = damaged(source, (table) => {
      const [ldb] = filesOf(table, '.ldb');
      if (!ldb) throw new Error('no table file');
      writeFileSync(ldb, Buffer.alloc(statSync(ldb).size, 0x5a));
    });

    // Act
    const failures = [
      await failureOf(start(noCurrent)),
      await failureOf(start(truncatedLog)),
      await failureOf(start(garbage)),
    ];

    // Assess
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(LocalStackError);
      expect(failure.message).toMatch(BROKEN_TABLE);
      expect(failure.message.split('\n')).toHaveLength(1);
    }
    expect(logs.some((line) => line.startsWith('ready:'))).toBe(false);
    // Nothing was deleted or recreated in the folder without CURRENT.
    expect(existsSync(join(noCurrent, 'dynamodb', 'CURRENT'))).toBe(false);
    expect(filesOf(join(noCurrent, 'dynamodb'), '.ldb').length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a queue database whose WAL was deleted with its -shm left, or whose WAL is garbled', async () => {
    // Prepare: the state a kill -9 leaves (the WAL and -shm next to the database), then damaged.
    const source = await usedDataDir();
    const afterKill = (queue: string) => {
      writeFileSync(join(queue, 'fauxqs.db-shm'), Buffer.alloc(32 * 1024));
    };
    const deletedWal = damaged(source, (_table, queue) => {
      afterKill(queue);
      rmSync(join(queue, 'fauxqs.db-wal'), { force: true });
    });
    const garbledWal = damaged(source, (_table, queue) => {
      afterKill(queue);
      writeFileSync(join(queue, 'fauxqs.db-wal'), Buffer.alloc(4096 + 32, 0x5a));
    });

    // Act
    const failures = [await failureOf(start(deletedWal)), await failureOf(start(garbledWal))];

    // Assess
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(LocalStackError);
      expect(failure.message).toMatch(BROKEN_QUEUE);
    }
    expect(logs.some((line) => line.startsWith('ready:'))).toBe(false);
  }, 120_000);
});
