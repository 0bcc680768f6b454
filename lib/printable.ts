/**
 * The one escaping function for text a person reads (the local stack's log lines, the `calls`,
 * `redrive` and `replay` text output): provider values may hold any character, and a terminal acts
 * on some of them. Control characters become `\u001b`-style escapes, so a value can neither move
 * the cursor, set a title, reorder what is shown nor start a line of its own. JSON escaping covers
 * only C0, `"` and `\`: JSON a person may read in a terminal (`calls … --json`) goes through
 * `printableJson`, which escapes the rest the same way and still parses back to the exact value.
 */

/**
 * C0 and C1 controls and DEL; U+2028/U+2029 (line and paragraph separators); the bidirectional
 * marks, embeddings, overrides and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069);
 * and lone surrogates, which no terminal can show.
 */
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every unprintable character as `\uXXXX`: always exactly one line. */
export const printable = (text: string): string => text.replace(UNPRINTABLE, unicodeEscape);

/** What JSON.stringify leaves raw that a terminal acts on: DEL, C1, U+2028/2029, bidi controls. */
const JSON_UNPRINTABLE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with those characters as `\uXXXX` too (they can only occur inside strings, where the
 * escape means the same character): valid JSON, the same value, and safe in a terminal.
 */
export const printableJson = (json: string): string => json.replace(JSON_UNPRINTABLE, unicodeEscape);
