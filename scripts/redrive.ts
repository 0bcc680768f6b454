/** `npm run redrive`: dead-lettered deliveries back to the deliveries queue (see lib/ops/redrive.ts). */
import { useRunningStack } from '../lib/local/stack-file';
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
// The running npm start's ports (.local/stack.json), unless the environment names others.
useRunningStack();
const { redriveCommand } = await import('../lib/ops/commands');
process.exitCode = await redriveCommand(process.argv.slice(2));
