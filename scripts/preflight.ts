/** `npm run preflight`: account checks before a deploy (see lib/ops/preflight-command.ts). */
import { exitOnEnvironmentProblem } from '../lib/ops/preflight';

exitOnEnvironmentProblem();
const { preflightCommand } = await import('../lib/ops/preflight-command');
process.exitCode = await preflightCommand(process.argv.slice(2));
