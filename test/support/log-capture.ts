/**
 * What the deployed functions write to CloudWatch Logs, captured: stdout and stderr (Powertools
 * writes errors to stderr) for each test, with observe sinks that write there as in Lambda.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { createLogger } from '../../lib/log';
import { createMetricsSink } from '../../lib/metrics';
import type { ObserveSinks } from '../../lib/observe';

// biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
type Json = any;

/** Registers the capture for every test of the calling file; read `lines()` and `sinks()` in a test. */
export function captureLogs() {
  let written: string[] = [];
  let sinks: ObserveSinks | undefined;
  beforeEach(() => {
    written = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    }
    sinks = { logger: createLogger({ stage: 'test' }), metrics: createMetricsSink({ stage: 'test' }) };
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return {
    /** Every JSON line written so far in this test. */
    lines: (): Json[] =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
    /** Everything written so far in this test, as text. */
    text: () => written.join(''),
    /** Forgets what was written so far (to read only what comes next). */
    clear: () => {
      written = [];
    },
    sinks: (): ObserveSinks => {
      if (!sinks) throw new Error('captureLogs: sinks are made in beforeEach');
      return sinks;
    },
  };
}
