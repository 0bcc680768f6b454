/**
 * `npm start` under load, stopped the hard way: the real stack (scripts/start.ts in its own
 * process group, as npm start runs it) takes distinct calls on loopback while its whole process
 * group gets kill -9 at a random moment, or Ctrl-C (SIGINT, twice: the terminal's and npm's relay).
 * After a restart on the same `.local/`, every delivery that got 200 has exactly one record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Acked, killAllStacks, missingRecords, sendLoad, spawnStack } from '../support/stack-process';

afterEach(killAllStacks);

const tempDir = () => mkdtempSync(join(tmpdir(), 'call-intake-crash-'));
const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));
const waitFor = async (condition: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('npm start: nothing acknowledged is lost however the stack stops', () => {
  it('kill -9 of the process group under load, three rounds: every 200 has exactly one record after restart', async () => {
    // Prepare
    const cwd = tempDir();
    const acked: Acked = new Map();
    const rounds: { acked: number; killedAfterMs: number }[] = [];

    // Act
    for (let round = 1; round <= 3; round += 1) {
      const stack = spawnStack(cwd);
      const { url } = await stack.ready();
      const before = acked.size;
      const load = sendLoad(url, { prefix: `round${round}`, acked });
      // A random moment once deliveries are flowing: mid-request, mid-batch, mid-write.
      await waitFor(() => acked.size > before, 20_000);
      const killedAfterMs = randomBetween(100, 1_500);
      await new Promise((resolve) => setTimeout(resolve, killedAfterMs));
      stack.signalGroup('SIGKILL');
      await Promise.all([load, stack.exited]);
      rounds.push({ acked: acked.size - before, killedAfterMs });
    }
    const last = spawnStack(cwd);
    const endpoints = await last.ready();
    const problems = await missingRecords(endpoints, acked);
    last.signalGroup('SIGINT');
    const { code } = await last.exited;

    // Assess
    expect(
      rounds.every((r) => r.acked > 0),
      JSON.stringify(rounds),
    ).toBe(true);
    expect(problems, `${problems.length} of ${acked.size} lost; rounds ${JSON.stringify(rounds)}`).toEqual(
      [],
    );
    expect(code).toBe(0);
  }, 180_000);

  it('Ctrl-C (SIGINT to the process group, twice) under load: exit 0 within seconds, every 200 kept', async () => {
    // Prepare
    const cwd = tempDir();
    const acked: Acked = new Map();
    const stack = spawnStack(cwd);
    const { url } = await stack.ready();
    const load = sendLoad(url, { prefix: 'sigint', acked });
    await waitFor(() => acked.size > 0, 20_000);
    await new Promise((resolve) => setTimeout(resolve, randomBetween(100, 1_000)));

    // Act
    const signalled = Date.now();
    stack.signalGroup('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 30));
    stack.signalGroup('SIGINT');
    const { code, signal } = await stack.exited;
    const stopMs = Date.now() - signalled;
    await load;
    const again = spawnStack(cwd);
    const problems = await missingRecords(await again.ready(), acked);
    again.signalGroup('SIGTERM');
    const restarted = await again.exited;

    // Assess
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(5_000);
    expect(stack.output.stdout).toMatch(/^SIGINT: stopping…$/m);
    expect(stack.output.stdout.trim().split('\n').at(-1)).toBe('stopped');
    expect(acked.size).toBeGreaterThan(0);
    expect(problems, `${problems.length} of ${acked.size} lost`).toEqual([]);
    expect(restarted.code).toBe(0);
    // Node 22 brings neither the SDK's Node-version notice nor node:sqlite's ExperimentalWarning.
    expect(stack.output.stderr).not.toMatch(/NodeVersion|ExperimentalWarning|Warning/);
  }, 120_000);
});
