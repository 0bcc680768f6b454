/** `npm run redrive`: dead-lettered deliveries back to the deliveries queue (see lib/ops/redrive.ts). */
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { redriveCommand } = await import('../lib/ops/commands');
process.exitCode = await redriveCommand(process.argv.slice(2));
