/**
 * Damage the local stack can see in `.local/` before an engine opens it (issue 18): LevelDB, given a
 * table folder without CURRENT, starts an empty table and deletes the old files; it skips what it
 * cannot read of a truncated log; SQLite ignores a WAL it cannot validate. Each check names the
 * damage in a few words, or returns null; the stack turns it into its one-line refusal.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

// CRC-32C (Castagnoli), as LevelDB's log records carry it (masked).
const CRC32C = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32C[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const masked = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

const LOG_BLOCK = 32 * 1024;
const LOG_HEADER = 7;

/**
 * Whether a LevelDB log-format file (a `.log` or the MANIFEST) reads to its end: every record
 * whole, of a known type, with its checksum. A zero header (preallocated space) ends it.
 */
function logDamage(file: string): string | null {
  const data = readFileSync(file);
  let pos = 0;
  while (pos < data.length) {
    const left = LOG_BLOCK - (pos % LOG_BLOCK);
    if (left < LOG_HEADER) {
      pos += left;
      continue;
    }
    if (pos + LOG_HEADER > data.length) return 'is truncated';
    const crc = data.readUInt32LE(pos);
    const length = data.readUInt16LE(pos + 4);
    const type = data[pos + 6] ?? 0;
    if (type === 0 && length === 0 && crc === 0) break;
    if (type < 1 || type > 4) return 'has a record of no known type';
    if (pos + LOG_HEADER + length > data.length) return 'is truncated';
    if (masked(crc32c(data.subarray(pos + 6, pos + LOG_HEADER + length))) !== crc)
      return 'has a record whose checksum does not match';
    pos += LOG_HEADER + length;
  }
  return null;
}

/** What is visibly wrong with a LevelDB folder (before it is opened), or null. */
export function levelDbDamage(folder: string): string | null {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return null;
  const files = readdirSync(folder);
  const hasData = files.some((name) => /\.(ldb|sst|log)$/.test(name) || name.startsWith('MANIFEST-'));
  if (!files.includes('CURRENT')) return hasData ? 'it holds data files but no CURRENT' : null;
  const manifest = readFileSync(join(folder, 'CURRENT'), 'utf8').trim();
  if (!/^MANIFEST-\d+$/.test(manifest) || !files.includes(manifest))
    return 'CURRENT names no manifest that exists';
  for (const name of [manifest, ...files.filter((f) => f.endsWith('.log'))]) {
    const damage = logDamage(join(folder, name));
    if (damage) return `${name} ${damage}`;
  }
  return null;
}

const WAL_MAGIC = [0x377f0682, 0x377f0683];

/** SQLite's WAL checksum over 8-byte chunks (big-endian words when the magic's low bit is set). */
function walChecksum(bytes: Buffer, bigEndian: boolean): [number, number] {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * What is visibly wrong with a SQLite database's write-ahead log after a crash, or null: its -shm
 * left without the WAL (deleted: the commits in it are gone), or a WAL whose header SQLite would
 * not accept (it would then ignore every commit in it without a word).
 */
export function sqliteWalDamage(databaseFile: string): string | null {
  const wal = `${databaseFile}-wal`;
  if (!existsSync(wal)) {
    return existsSync(`${databaseFile}-shm`)
      ? 'its -wal file is gone but its -shm is there: the commits the WAL held are lost'
      : null;
  }
  const size = statSync(wal).size;
  if (size === 0) return null;
  const header = Buffer.alloc(32);
  const fd = openSync(wal, 'r');
  try {
    readSync(fd, header, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  const magic = header.readUInt32BE(0);
  if (size < 32 || !WAL_MAGIC.includes(magic)) return 'its -wal file is not a SQLite WAL';
  const [c0, c1] = walChecksum(header.subarray(0, 24), (magic & 1) === 1);
  if (c0 !== header.readUInt32BE(24) || c1 !== header.readUInt32BE(28))
    return "its -wal file's header checksum does not match";
  return null;
}
