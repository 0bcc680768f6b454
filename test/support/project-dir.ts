/**
 * A directory that works like a clone of the project for `npm run …` and `npm start`: its own
 * package.json (the scripts pointing at this checkout's files), node_modules and test/ linked, and
 * its own `.local/`, so commands run exactly as the README prints them without touching the
 * checkout's `.local/`.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'call-intake-project-'));
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const [name, command] of Object.entries(manifest.scripts))
    manifest.scripts[name] = command.replace(/(^|\s)(scripts|bench)\//g, `$1${ROOT}$2/`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  symlinkSync(join(ROOT, 'test'), join(dir, 'test'), 'dir');
  return dir;
}
