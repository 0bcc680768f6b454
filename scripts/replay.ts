/** `npm run replay`: rebuild call records from their stored raw deliveries (see lib/ops/replay.ts). */
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { replayCommand } = await import('../lib/ops/commands');
process.exitCode = await replayCommand(process.argv.slice(2));
