/**
 * `npm start`: the local stack until Ctrl-C / SIGTERM (see lib/local/stack.ts). npm runs it as
 * `node --import tsx scripts/start.ts`, with no wrapper process that would relay signals and
 * kill it mid-stop (tsx's does, ~30 ms after a Ctrl-C).
 */
import { resolve } from 'node:path';
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { LocalStackError, startLocalStack } = await import('../lib/local/stack');
const { removeStackFile, writeStackFile } = await import('../lib/local/stack-file');

/** Where `npm start` keeps its data, and `.local/stack.json` for the CLIs (lib/local/stack-file.ts). */
const DATA_DIR = resolve('.local');

/** Past this, stop() is stuck: exit anyway (every acknowledged delivery is on disk already). */
const STOP_LIMIT_MS = 8_000;

try {
  const stack = await startLocalStack({ dataDir: DATA_DIR });
  // The CLIs find this stack's ports here; without the file they use the default ports.
  try {
    writeStackFile(DATA_DIR, { pid: process.pid, url: stack.url, ...stack.endpoints });
  } catch (error) {
    console.error(
      `warning: cannot write .local/stack.json (${(error as Error).message}): the CLIs need its ports set`,
    );
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C reaches npm and this process both, and npm relays it: a second signal
    // is expected and must not cut the stop short.
    if (stopping) {
      console.log(`${signal}: already stopping…`);
      return;
    }
    stopping = true;
    console.log(`${signal}: stopping…`);
    removeStackFile(DATA_DIR);
    setTimeout(() => {
      console.error(
        `error: stopping took over ${STOP_LIMIT_MS / 1000} s; exiting (queued deliveries are kept)`,
      );
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    stack.stop().then(
      () => {
        console.log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`error while stopping: ${(error as Error)?.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  // One line the user can act on; a stack trace only when asked for.
  console.error(`error: ${error instanceof LocalStackError ? error.message : (error as Error)?.message}`);
  if (process.env.DEBUG && !(error instanceof LocalStackError)) console.error(error);
  process.exit(1);
}
