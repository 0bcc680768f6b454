/**
 * The commands the README shows, run as a reader would: every `npm run X` / `npx X` it names
 * exists; the cheap ones run through npm exactly as printed, in a clone-like directory against a
 * real `npm start` on non-default ports (found through .local/stack.json, not retyped): `--help` of
 * each CLI, `calls list` on the empty stack (`--json` stdout is JSON and nothing else), the banner's
 * query line, redrive and replay dry runs, and every `npm run -s sign … | sh` line (HTTP 200).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE as CALLS_USAGE } from '../../lib/calls/args';
import { startTelnyxFake, TELNYX_FAKE_API_KEY, telnyxDetailRecord } from '../fakes/telnyx-api';
import { projectDir, ROOT } from '../support/project-dir';
import { killAllStacks, type StackProcess, spawnStack } from '../support/stack-process';

const docsDir = join(ROOT, 'docs');
const DOCS = [
  join(ROOT, 'README.md'),
  ...(existsSync(docsDir)
    ? readdirSync(docsDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(docsDir, f))
    : []),
];
const text = DOCS.map((file) => readFileSync(file, 'utf8')).join('\n');

const scripts = Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);
const npmScripts = new Set(
  [...text.matchAll(/\bnpm run(?: -s| --silent)? ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]),
);
const npxCommands = new Set([...text.matchAll(/\bnpx ([a-z][a-z0-9-]*)/g)].map((m) => m[1] ?? ''));
const CLIS = ['calls', 'redrive', 'replay', 'sign', 'bench', 'load'];
/** Every `npm run -s sign -- <provider> <file> | sh` line, as printed. */
const signLines = [
  ...new Set([...text.matchAll(/npm run -s sign -- [a-z0-9-]+ test\/fixtures\/\S+ \| sh/g)].map((m) => m[0])),
];

// Nothing of the test's environment that would name ports or endpoints: the stack must be found.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(PORT|SQS_PORT|DYNAMODB_PORT|AWS_ENDPOINT_URL.*|PUBLIC_BASE_URL|npm_.*)$/.test(name),
  ),
);

let dir = '';
let stack: StackProcess;
let banner = '';

/** `command` through sh in the clone-like directory, as typed at a prompt. */
const sh = (command: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('sh', ['-c', command], { cwd: dir, env, timeout: 60_000 }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });

beforeAll(async () => {
  dir = projectDir();
  // Ports 0: whatever is free, never the defaults the CLIs would otherwise try.
  stack = spawnStack(dir, { CALLKARO_WEBHOOK_TOKEN: '' });
  await stack.ready(60_000);
  banner = stack.output.stdout;
}, 90_000);
afterAll(() => killAllStacks());

describe('the README commands', () => {
  it('names only npm scripts and npx commands that exist', () => {
    expect(npmScripts.size).toBeGreaterThan(5);
    for (const name of npmScripts) expect(scripts, `npm run ${name}`).toContain(name);
    for (const name of npxCommands)
      expect(existsSync(join(ROOT, 'node_modules/.bin', name)), `npx ${name}`).toBe(true);
  });

  it('shows the calls usage exactly as --help prints it', () => {
    expect(text).toContain(`\`\`\`\n${CALLS_USAGE}\n\`\`\``);
  });

  it("lists nothing on the empty stack: the banner's query line as printed, and --json as JSON alone", async () => {
    // Prepare
    const query = /^query: (.+?) {3}/m.exec(banner)?.[1] ?? '';
    expect(query).toBe('npm run -s calls -- list');

    // Act
    const [printed, json, withoutS] = await Promise.all([
      sh(query),
      sh('npm run -s calls -- list --json'),
      sh('npm run calls -- list --json'),
    ]);

    // Assess
    expect(printed, printed.stderr).toMatchObject({ code: 0, stdout: 'no calls found\n' });
    expect(json).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual([]);
    // Without -s npm's own lines come first: said on stderr, with the form that works.
    expect(withoutS.code).toBe(0);
    expect(withoutS.stderr).toContain('run npm run -s calls -- … for the JSON alone');
  }, 120_000);

  it('finds the running stack for redrive and replay too', async () => {
    // Act
    const [redrive, replay] = await Promise.all([
      sh('npm run -s redrive -- --dry-run'),
      sh('npm run -s replay -- --dry-run'),
    ]);

    // Assess
    expect(redrive.stdout).toBe(
      'call-intake-local-deliveries-dlq: 0 message(s) would be moved to call-intake-local-deliveries\n',
    );
    expect(redrive.code).toBe(0);
    expect(replay.stdout).toMatch(/^0 call\(s\): .* — dry run, nothing written\n$/);
    expect(replay.code).toBe(0);
  }, 120_000);

  it('finds the running stack for backfill too', async () => {
    // Prepare: a fake Telnyx API with one call the table does not have.
    const fake = await startTelnyxFake([
      telnyxDetailRecord({ id: 'r-readme', leg: 'readme-leg', endedAt: new Date(Date.now() - 600_000) }),
    ]);
    Object.assign(env, {
      TELNYX_API_BASE_URL: fake.url,
      TELNYX_API_CREDENTIALS: JSON.stringify({ apiKey: TELNYX_FAKE_API_KEY }),
    });
    try {
      // Act
      const result = await sh('npm run -s backfill -- --provider telnyx --since 2026-11-01');

      // Assess
      expect(result).toEqual({
        code: 0,
        stdout: 'telnyx: listed 1, already recorded 0, enqueued 1, failed 0, unmatched 0\n',
        stderr: '',
      });
    } finally {
      delete env.TELNYX_API_BASE_URL;
      delete env.TELNYX_API_CREDENTIALS;
      await fake.close();
    }
  }, 120_000);

  it('--help of every CLI through npm run -s: the usage on stdout, exit 0, nothing started', async () => {
    // Act
    const helps = await Promise.all(CLIS.map((name) => sh(`npm run -s ${name} -- --help`)));

    // Assess
    for (const [i, help] of helps.entries()) {
      const name = CLIS[i] as string;
      expect(npmScripts).toContain(name);
      expect(help, name).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^usage: npm run -s ${name}\\b`, 'i'));
    }
  }, 120_000);

  it('sends every sign line of the README to the stack found, answered 200', async () => {
    expect(signLines.length).toBeGreaterThanOrEqual(6);

    // Act
    const results = await Promise.all(signLines.map(sh));

    // Assess
    for (const [i, result] of results.entries()) {
      expect(result.stdout.trim().split('\n').at(-1), signLines[i]).toBe('HTTP 200');
      expect(result.code, signLines[i]).toBe(0);
    }
  }, 120_000);

  it('removes .local/stack.json when the stack stops', async () => {
    // Prepare
    const file = join(dir, '.local/stack.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: stack.child.pid });

    // Act
    stack.signalGroup('SIGINT');
    const exit = await stack.exited;

    // Assess
    expect(exit.code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});
