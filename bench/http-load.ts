/** Parent side of the load generator: forks bench/client.ts once and hands it jobs over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import type { LoadJob, LoadReport } from './client';

export type { LoadJob, LoadReport, LoadRequest } from './client';

export interface LoadClient {
  run(job: Omit<LoadJob, 'id'>): Promise<LoadReport>;
  stop(): Promise<void>;
}

export async function startLoadClient(): Promise<LoadClient> {
  const child: ChildProcess = fork(new URL('./client.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  let ids = 0;
  const waiting = new Map<number, { resolve: (r: LoadReport) => void; reject: (e: Error) => void }>();
  child.on('message', (message: LoadReport & { error?: string }) => {
    const entry = waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id);
    if (message.error) entry.reject(new Error(`load client: ${message.error}`));
    else entry.resolve(message);
  });
  child.on('exit', (code) => {
    for (const entry of waiting.values()) entry.reject(new Error(`load client exited (${code})`));
    waiting.clear();
  });
  return {
    run(job) {
      const id = ++ids;
      return new Promise((resolve, reject) => {
        // The job's own bound plus a margin: a stuck client cannot hang the benchmark.
        const timer = setTimeout(
          () => {
            waiting.delete(id);
            reject(new Error('load client did not report in time'));
          },
          job.maxMs + (job.timeoutMs ?? 10_000) + 15_000,
        );
        waiting.set(id, {
          resolve: (report) => {
            clearTimeout(timer);
            resolve(report);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ ...job, id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
