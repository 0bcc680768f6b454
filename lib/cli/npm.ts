/** What the CLIs say about how npm ran them. */

/**
 * `npm run <script>` without `-s` prints its own `> package@version script` lines on stdout before
 * the command's output, so `--json` output piped on is not JSON any more. npm tells the script its
 * log level: anything but `silent` means those lines were printed. A note for stderr, or null.
 */
export function npmHeaderNote(
  env: Readonly<Record<string, string | undefined>>,
  script: string,
): string | null {
  if (env.npm_lifecycle_event !== script || env.npm_config_loglevel === 'silent') return null;
  return `note: npm printed its own "> ${env.npm_package_name ?? 'package'}" lines on stdout before this JSON; run npm run -s ${script} -- … for the JSON alone\n`;
}
