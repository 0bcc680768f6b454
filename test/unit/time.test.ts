import { describe, expect, it } from 'vitest';
import { addSeconds, MAX_CALL_SECONDS, secondsBetween, usableSeconds } from '../../lib/normalize/time';

const START = '2025-12-19T10:31:07.000Z';

describe('durations a record can use', () => {
  it.each([
    [0, 0],
    [120, 120],
    [90.5, 90.5],
    ['120', 120],
    [' 7.25 ', 7.25],
    [MAX_CALL_SECONDS, MAX_CALL_SECONDS],
  ])('reads %j as %s seconds', (value, seconds) => {
    // Act & Assess
    expect(usableSeconds(value)).toBe(seconds);
    expect(Date.parse(addSeconds(START, value) ?? '') - Date.parse(START)).toBe(seconds * 1000);
  });

  it.each([
    ['1e308', 1e308],
    ['negative', -1],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['beyond the sanity bound', MAX_CALL_SECONDS + 1],
    ['beyond Date', 1e16],
    ['"NaN"', 'NaN'],
    ['"1e308"', '1e308'],
    ['"-5"', '-5'],
    ['"2m"', '2m'],
    ['an empty string', ''],
    ['null', null],
    ['an object', { seconds: 1 }],
    ['true', true],
  ])('derives nothing from %s', (_name, value) => {
    // Act & Assess
    expect(usableSeconds(value)).toBeNull();
    expect(addSeconds(START, value)).toBeNull();
  });

  it('gives no duration between instants further apart than the bound, or reversed', () => {
    // Act & Assess
    expect(secondsBetween('0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z')).toBeNull();
    expect(secondsBetween('2025-12-19T10:33:07Z', START)).toBeNull();
    expect(secondsBetween(START, '2025-12-19T10:33:07Z')).toBe(120);
    expect(secondsBetween(null, START)).toBeNull();
  });
});
