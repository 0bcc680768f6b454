/** `npm run backfill`: store the calls a provider's list API has and the table does not (lib/backfill.ts). */
import { useRunningStack } from '../lib/local/stack-file';
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
// The running npm start's ports (.local/stack.json), unless the environment names others.
useRunningStack();
const { backfillCommand } = await import('../lib/backfill');
process.exitCode = await backfillCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
