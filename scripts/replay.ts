/** `npm run replay`: rebuild call records from their stored raw deliveries (see lib/ops/replay.ts). */
import { useRunningStack } from '../lib/local/stack-file';
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
// The running npm start's ports (.local/stack.json), unless the environment names others.
useRunningStack();
const { replayCommand } = await import('../lib/ops/commands');
process.exitCode = await replayCommand(process.argv.slice(2));
