/**
 * `npm start`: the local stack until Ctrl-C / SIGTERM (see lib/local/stack.ts). npm runs it as
 * `node --import tsx scripts/start.ts`, with no wrapper process that would relay signals and
 * kill it mid-stop (tsx's does, ~30 ms after a Ctrl-C).
 */
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { LocalStackError, startLocalStack } = await import('../lib/local/stack');

/** Past this, stop() is stuck: exit anyway (every acknowledged delivery is on disk already). */
const STOP_LIMIT_MS = 8_000;

try {
  // .local/stack.json while it runs: the CLIs find its ports there (lib/local/stack-file.ts).
  const stack = await startLocalStack({ stackFile: true });
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
