/** `npm start`: the local stack until Ctrl-C / SIGTERM (see lib/local/stack.ts). */
import { LocalStackError, startLocalStack } from '../lib/local/stack';

// Node 20 is supported here; the SDK's notice about its 2027 releases would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  const stack = await startLocalStack();
  let stopping = false;
  const shutdown = (signal: string) => {
    // A second Ctrl-C while draining means "now".
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: stopping (draining the queue first)…`);
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
