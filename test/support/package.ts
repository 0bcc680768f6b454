/**
 * `serverless package` run in a temporary copy of the project (sources copied, node_modules
 * linked), so the tests never delete or rewrite the working tree's `.serverless/` or `.esbuild/`.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What serverless.yml and its handlers read. */
const SOURCES = ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib'];

/** Packages `stage` (with extra flags such as `--param=…`) from a copy made under `workDir` into `out`; resolves with `out`. */
export async function packageInCopy(
  workDir: string,
  stage: string,
  out: string,
  flags: readonly string[] = [],
): Promise<string> {
  const copy = join(workDir, `project-${stage}`);
  await mkdir(copy, { recursive: true });
  for (const entry of SOURCES) await cp(join(ROOT, entry), join(copy, entry), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  await promisify(execFile)('npx', ['serverless', 'package', '--stage', stage, ...flags, '--package', out], {
    cwd: copy,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    timeout: 120_000,
  });
  return out;
}
