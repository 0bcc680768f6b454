/**
 * What the `calls` CLI prints: aligned tables for people, JSON (spec.md §5 shapes) for machines.
 * Every provider value in the text output goes through `printable`, so a row stays one line and a
 * value cannot drive the terminal; `--json` parses back to the exact values, with every character a
 * terminal acts on `\u`-escaped.
 */
import { printable, printableJson } from '../printable';
import type { CallRecord } from '../record';
import type { RawDelivery } from './query';

/** The spec's attribute order (§2), then anything else the record carries. */
const RECORD_ORDER = [
  'provider',
  'callId',
  'from',
  'to',
  'direction',
  'startedAt',
  'answeredAt',
  'endedAt',
  'durationSeconds',
  'outcome',
  'answered',
  'hangupCause',
  'receivedAt',
  'details',
] as const;

export function orderedRecord(record: CallRecord): Record<string, unknown> {
  const fields = record as unknown as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of RECORD_ORDER) ordered[key] = fields[key] ?? null;
  for (const [key, value] of Object.entries(fields)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}

// Provider values may hold C1, line separators and bidi controls, which JSON escaping leaves raw.
const json = (value: unknown) => `${printableJson(JSON.stringify(value, null, 2))}\n`;

export const recordJson = (record: CallRecord) => json(orderedRecord(record));
export const listJson = (records: readonly CallRecord[]) => json(records.map(orderedRecord));
export const rawJson = (deliveries: readonly RawDelivery[]) =>
  json(deliveries.map(({ deliveryId, receivedAt, body }) => ({ deliveryId, receivedAt, body })));

/** 125 → 2m05s; null → -. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${pad(m)}m${pad(s)}s`;
  if (m > 0) return `${m}m${pad(s)}s`;
  return `${s}s`;
}

/** 2025-12-19T10:33:07.000Z → 2025-12-19 10:33:07Z */
const shortTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `${text}\n`).join('');
}

export function listTable(records: readonly CallRecord[]): string {
  if (records.length === 0) return 'no calls found\n';
  const rows = records.map((r) =>
    [
      shortTime(r.receivedAt),
      r.endedAt ? shortTime(r.endedAt) : '-',
      r.provider,
      r.callId,
      r.from ?? '-',
      r.to ?? '-',
      r.direction ?? '-',
      r.outcome,
      formatDuration(r.durationSeconds),
    ].map(printable),
  );
  const header = [
    'RECEIVED (UTC)',
    'ENDED (UTC)',
    'PROVIDER',
    'CALL ID',
    'FROM',
    'TO',
    'DIRECTION',
    'OUTCOME',
    'DURATION',
  ];
  return `${table(header, rows)}${records.length} call${records.length === 1 ? '' : 's'}, newest arrival first\n`;
}

/** Line breaks a value holds (a transcript) continue indented under it; nothing else is printed raw. */
const indented = (text: string, indent: string): string =>
  text.split('\n').map(printable).join(`\n${indent}`);

const show = (value: unknown, indent: string): string => {
  if (value === null || value === undefined) return '-';
  return indented(typeof value === 'string' ? value : JSON.stringify(value), indent);
};

function fields(entries: readonly [string, unknown][], indent: string): string {
  const width = Math.max(...entries.map(([key]) => printable(key).length));
  return entries
    .map(
      ([key, value]) =>
        `${indent}${printable(key).padEnd(width)}  ${show(value, `${indent}${' '.repeat(width + 2)}`)}\n`,
    )
    .join('');
}

export function recordText(record: CallRecord): string {
  const { provider, callId, details, ...rest } = orderedRecord(record);
  const top = Object.entries(rest);
  const detailEntries = Object.entries((details ?? {}) as Record<string, unknown>);
  return [
    `${printable(String(provider))} ${printable(String(callId))}\n`,
    fields(top, '  '),
    detailEntries.length > 0 ? `  details\n${fields(detailEntries, '    ')}` : '',
  ].join('');
}

/** Each delivery under its own heading; the body's lines indented, so none can pass for a heading. */
export function rawText(deliveries: readonly RawDelivery[]): string {
  return deliveries
    .map((d, i) => {
      const body = d.body.endsWith('\n') ? d.body.slice(0, -1) : d.body;
      const heading = `${d.deliveryId}, ${d.eventType}, received ${d.receivedAt}`;
      return `── delivery ${i + 1} of ${deliveries.length}: ${printable(heading)}\n  ${indented(body, '  ')}\n`;
    })
    .join('\n');
}
