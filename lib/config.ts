import { MissingConfigError } from './errors';

/** A required environment variable; throws a named error at cold start when it is missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new MissingConfigError(name);
  return value;
}

/** Build a value once, on first use: handlers stay importable in tests without AWS configuration. */
export function lazy<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}
