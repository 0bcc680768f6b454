/**
 * The scripts' one-line errors for settings the user got wrong: a bad CALLKARO_TIMEZONE (read when
 * modules load) and an operator command pointed at a port where no stack listens.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** Runs scripts/<name>.ts as its npm script does; resolves with its exit code and output. */
const runScript = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', TSX_LOADER, join(ROOT, 'scripts', `${name}.ts`), ...args],
      {
        cwd: mkdtempSync(join(tmpdir(), 'call-intake-script-')),
        env: { ...process.env, AWS_ENDPOINT_URL_SQS: '', AWS_ENDPOINT_URL_DYNAMODB: '', ...env },
        timeout: 30_000,
      },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });

/** A port nothing listens on (bound, then released). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('scripts: one-line errors that say what to set', () => {
  it.each(['start', 'replay', 'calls'])(
    '%s with CALLKARO_TIMEZONE=Mars/Base exits 1 with one line',
    async (name) => {
      // Act
      const { code, stderr } = await runScript(name, name === 'calls' ? ['list'] : [], {
        CALLKARO_TIMEZONE: 'Mars/Base',
        PORT: '0',
        SQS_PORT: '0',
        DYNAMODB_PORT: '0',
      });

      // Assess
      expect(code).toBe(1);
      expect(stderr).toBe(
        'error: CALLKARO_TIMEZONE=Mars/Base is not an IANA time zone name (e.g. Asia/Kolkata, UTC): fix or unset it\n',
      );
    },
  );

  it.each([
    ['start', 'PLIVO_TIMEZONE'],
    ['replay', 'PLIVO_TIMEZONE'],
  ])('%s with %s=Mars/Base exits 1 with one line', async (name, variable) => {
    // Act
    const { code, stderr } = await runScript(name, [], {
      [variable]: 'Mars/Base',
      PORT: '0',
      SQS_PORT: '0',
      DYNAMODB_PORT: '0',
    });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: ${variable}=Mars/Base is not an IANA time zone name (e.g. Asia/Kolkata, UTC): fix or unset it\n`,
    );
  });

  it('start with half a Basic credential pair exits 1 naming both variables', async () => {
    // Act
    const { code, stdout, stderr } = await runScript('start', [], {
      BANDWIDTH_WEBHOOK_USERNAME: 'me',
      BANDWIDTH_WEBHOOK_PASSWORD: '',
      PORT: '0',
      SQS_PORT: '0',
      DYNAMODB_PORT: '0',
    });

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: BANDWIDTH_WEBHOOK_USERNAME is set but BANDWIDTH_WEBHOOK_PASSWORD is not: set both (or neither, for the dev defaults)\n',
    );
  });

  it('redrive against a stack on another port says to set SQS_PORT', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const { code, stderr } = await runScript('redrive', [], { SQS_PORT: String(port) });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: redrive failed: cannot reach local stack (SQS http://127.0.0.1:${port}) (ECONNREFUSED): is npm start running? Set SQS_PORT to its SQS port (or AWS_ENDPOINT_URL_SQS), or use --stage\n`,
    );
  });

  it('replay against a stack on another port says to set DYNAMODB_PORT', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const { code, stderr } = await runScript('replay', [], { DYNAMODB_PORT: String(port) });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^error: replay failed: cannot reach local stack \\(DynamoDB http://127\\.0\\.0\\.1:${port}\\) \\(ECONNREFUSED\\): is npm start running\\? Set DYNAMODB_PORT to its DynamoDB port \\(or AWS_ENDPOINT_URL_DYNAMODB\\), or use --stage\\n$`,
      ),
    );
  });
});
