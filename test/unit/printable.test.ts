import { describe, expect, it } from 'vitest';
import { printable } from '../../lib/printable';

describe('printable', () => {
  it.each([
    ['a line feed', 'a\nready: x', 'a\\u000aready: x'],
    ['carriage return and tab', 'a\r\tb', 'a\\u000d\\u0009b'],
    ['an OSC title sequence', '\u001b]0;pwned\u0007', '\\u001b]0;pwned\\u0007'],
    ['NUL and DEL', '\u0000\u007f', '\\u0000\\u007f'],
    ['a C1 CSI', '\u009b31m', '\\u009b31m'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['bidi overrides and isolates', '\u202aa\u202eb\u2066c\u2069', '\\u202aa\\u202eb\\u2066c\\u2069'],
    ['bidi marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['a lone surrogate', 'x\ud800', 'x\\ud800'],
  ])('escapes %s', (_name, text, shown) => {
    // Act & Assess
    expect(printable(text)).toBe(shown);
  });

  it('leaves printable text alone: accents, CJK, emoji, backslashes', () => {
    // Prepare
    const text = 'José 電話 \u{1F4DE} C:\\calls {callId} +919876543210';

    // Act & Assess
    expect(printable(text)).toBe(text);
  });
});
