/** `npm run calls -- <command>`: query the calls table (lib/calls; `--help` for usage). */
import { runCalls } from '../lib/calls/run';

// Node 20 is supported here; the SDK's notice about its 2027 releases would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `npm run calls -- list | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCalls(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
