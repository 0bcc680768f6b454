/** `npm run backfill`: store the calls a provider's list API has and the table does not (lib/backfill.ts). */
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { backfillCommand } = await import('../lib/backfill');
process.exitCode = await backfillCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
