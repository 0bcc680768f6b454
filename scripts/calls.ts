/** `npm run calls -- <command>`: query the calls table (lib/calls; `--help` for usage). */
import { useRunningStack } from '../lib/local/stack-file';
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
// The running npm start's ports (.local/stack.json), unless the environment names others.
useRunningStack();
const { runCalls } = await import('../lib/calls/run');

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
