/**
 * The controller's durable journal ({@link Journal}): an append-only file of records, one line
 * each, every line made durable (written and fsync'd) before `append` returns. `memoryJournal` is
 * the same interface in memory, for tests and the simulator.
 *
 * The file format (docs/decisions.md, D-journal):
 * ```text
 * switchyard-journal 1
 * 3f1c08a2 {"r":{"type":"start","time":0,"seed":1}}
 * 9b07d4e1 {"r":{"type":"submit","time":0,"job":{"id":"j1","vms":[...]}},"n":[[["job","work"],"Infinity"]]}
 * ```
 * A header line, then one line per record: the CRC-32 (node:zlib) of the JSON text in 8 hex
 * digits, a space, and the JSON text of an envelope `{"r": record, "n"?: specials}`. JSON has no
 * `Infinity` or `NaN` (a service's `work` is `Infinity`): such numbers are written `null` in `r`
 * and listed in `n` with their path, so they come back as they were (a string that reads
 * "Infinity" stays a string).
 *
 * A crash mid-write leaves a last line without its newline (a torn tail): it is ignored when the
 * journal is opened, and cut off the file before the next append. Any newline-terminated line
 * that fails its checksum, its JSON or its record shape is corruption, not a crash: opening
 * fails with an error naming the file and line.
 *
 * One process at a time: nothing locks the file.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { SwitchyardError } from '../../errors.js';
import type { Journal, JournalRecord } from './types.js';

/** The first line of every journal file. */
export const JOURNAL_HEADER = 'switchyard-journal 1';

/**
 * Why a journal could not be opened, as a literal code:
 * - `unreadable`: the file (or its folder) cannot be read or created;
 * - `not-a-journal`: the file does not start with the journal header;
 * - `corrupt`: a complete line fails its checksum, its JSON or the record shape.
 */
export type JournalErrorCode = 'unreadable' | 'not-a-journal' | 'corrupt';

/** An error of {@link openJournal}: returned, never thrown. */
export interface JournalError {
  readonly code: JournalErrorCode;
  /** The journal file. */
  readonly file: string;
  /** The 1-based line at fault (the header is line 1), when one is. */
  readonly line?: number;
  /** A sentence naming the file and line. */
  readonly message: string;
}

/** The last line of a journal file cut short by a crash mid-write: ignored, cut before the next append. */
export interface TornTail {
  /** Its 1-based line number. */
  readonly line: number;
  /** Its length in bytes. */
  readonly bytes: number;
}

/** A journal in a file, as {@link openJournal} opens it. */
export interface FileJournal extends Journal {
  /** The file. */
  readonly file: string;
  /** The torn last line found when it was opened, if any. */
  readonly torn: TornTail | undefined;
  /** Whether the file was created by this opening. */
  readonly created: boolean;
}

/** The outcome of {@link openJournal}. */
export type JournalOpening = { readonly ok: true; readonly journal: FileJournal } | { readonly ok: false; readonly error: JournalError };

/** A journal in memory, as {@link memoryJournal} makes it. */
export interface MemoryJournal extends Journal {
  /** Every record: those it was made with, then those appended. */
  readonly all: readonly JournalRecord[];
  /**
   * Closes this journal (as a crash would: nothing more is appended to it) and opens a new one
   * on every record so far, as a restarted controller would.
   */
  reopen(): MemoryJournal;
}

// ----- one line ---------------------------------------------------------------------------------

type Special = 'Infinity' | '-Infinity' | 'NaN';
type Path = readonly (string | number)[];

/** The JSON text of a record's envelope: non-finite numbers as `null`, listed with their paths. */
function envelopeOf(record: JournalRecord): string {
  const specials: [Path, Special][] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      specials.push([[...path], Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity']);
      return null;
    }
    if (Array.isArray(v)) return v.map((x: unknown, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  const r = walk(record, []);
  return JSON.stringify(specials.length > 0 ? { r, n: specials } : { r });
}

/**
 * One journal line for a record, newline included.
 * @param record - the record
 * @returns `crc32hex json\n`
 * @example
 * ```ts
 * journalLine({ type: 'stop', time: 12 }); // '1c2b9f0e {"r":{"type":"stop","time":12}}\n' (checksum varies with the text)
 * ```
 */
export function journalLine(record: JournalRecord): string {
  const json = envelopeOf(record);
  return `${checksum(json)} ${json}\n`;
}

function checksum(text: string): string {
  return crc32(text).toString(16).padStart(8, '0');
}

const SPECIAL_VALUES: Readonly<Record<Special, number>> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Puts the special numbers of `n` back into `r`; false when a path does not lead to a `null`. */
function restore(r: Record<string, unknown>, n: unknown): boolean {
  if (n === undefined) return true;
  if (!Array.isArray(n)) return false;
  for (const entry of n as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) return false;
    const [path, what] = entry as [unknown, unknown];
    if (!Array.isArray(path) || path.length === 0 || typeof what !== 'string' || !Object.hasOwn(SPECIAL_VALUES, what)) return false;
    let at: unknown = r;
    for (let i = 0; i < path.length - 1; i++) {
      const k: unknown = path[i];
      if (Array.isArray(at) && typeof k === 'number') at = at[k];
      else if (isObject(at) && typeof k === 'string' && Object.hasOwn(at, k)) at = at[k];
      else return false;
    }
    const last: unknown = path[path.length - 1];
    const value = SPECIAL_VALUES[what as Special];
    if (Array.isArray(at) && typeof last === 'number' && at[last] === null) at[last] = value;
    else if (isObject(at) && typeof last === 'string' && Object.hasOwn(at, last) && at[last] === null) at[last] = value;
    else return false;
  }
  return true;
}

const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const str = (v: unknown): boolean => typeof v === 'string';
const isJob = (v: unknown): boolean => isObject(v) && str(v['id']) && Array.isArray(v['vms']) && (v['vms'] as unknown[]).every((m) => isObject(m) && str(m['id']) && isObject(m['demand']));

/** What each record type must carry beyond `type` and `time` (extra fields are kept). */
const RECORD_SHAPES = {
  start: (r) => num(r['seed']) && (r['x'] === undefined || isObject(r['x'])),
  submit: (r) => isJob(r['job']),
  reserve: (r) => isObject(r['reservation']) && isJob(r['reservation']['job']) && Array.isArray(r['reservation']['nodes']),
  cancel: (r) => str(r['vjob']),
  drain: (r) => str(r['node']),
  nodeFailed: (r) => str(r['node']),
  nodeRepaired: (r) => str(r['node']),
  plan: (r) => num(r['decision']) && Array.isArray(r['actions']) && (r['actions'] as unknown[]).every((a) => isObject(a) && str(a['type'])),
  actionStarted: (r) => num(r['decision']) && num(r['action']),
  actionEnded: (r) => num(r['decision']) && num(r['action']) && str(r['status']),
  finished: (r) => str(r['vjob']),
  rehome: (r) => str(r['vjob']) && str(r['from']) && str(r['to']),
  stop: () => true,
} as const satisfies { readonly [K in JournalRecord['type']]: (r: Record<string, unknown>) => boolean };

/**
 * Reads one complete journal line (without its newline).
 * @param line - the text
 * @returns the record, or why the line is not one
 * @example
 * ```ts
 * const r = parseJournalLine(journalLine({ type: 'stop', time: 12 }).slice(0, -1));
 * if (r.ok) r.record.type; // 'stop'
 * ```
 */
export function parseJournalLine(line: string): { readonly ok: true; readonly record: JournalRecord } | { readonly ok: false; readonly why: string } {
  const m = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (m === null) return { ok: false, why: 'no checksum (8 hex digits and a space)' };
  const [, sum, json] = m as unknown as [string, string, string];
  if (checksum(json) !== sum) return { ok: false, why: `checksum mismatch (line says ${sum}, content gives ${checksum(json)})` };
  let env: unknown;
  try {
    env = JSON.parse(json);
  } catch (e) {
    return { ok: false, why: `invalid JSON (${(e as Error).message})` };
  }
  if (!isObject(env) || !isObject(env['r'])) return { ok: false, why: 'not a record envelope' };
  const r = env['r'];
  if (!restore(r, env['n'])) return { ok: false, why: 'bad list of special numbers' };
  const type = r['type'];
  if (typeof type !== 'string' || !Object.hasOwn(RECORD_SHAPES, type)) return { ok: false, why: `unknown record type ${JSON.stringify(type)}` };
  if (!num(r['time'])) return { ok: false, why: `${type} record without a finite time` };
  if (!RECORD_SHAPES[type as JournalRecord['type']](r)) return { ok: false, why: `${type} record lacks a field of its type` };
  // Checked field by field above; the record was written by journalLine from a JournalRecord.
  return { ok: true, record: r as unknown as JournalRecord };
}

// ----- the file ---------------------------------------------------------------------------------

interface Scan {
  readonly records: JournalRecord[];
  /** Bytes of the header and the complete lines (where a torn tail is cut). */
  readonly validBytes: number;
  readonly torn: TornTail | undefined;
  /** Whether the header line is complete (false: the file is empty or holds a torn header). */
  readonly header: boolean;
}

function scan(file: string, bytes: Buffer): { readonly ok: true; readonly scan: Scan } | { readonly ok: false; readonly error: JournalError } {
  const records: JournalRecord[] = [];
  let pos = 0;
  let line = 0;
  while (pos < bytes.length) {
    line++;
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) {
      // The last line has no newline: a crash cut it (a torn header must be a prefix of the header).
      const tail = bytes.subarray(pos);
      if (line === 1 && !Buffer.from(`${JOURNAL_HEADER}\n`).subarray(0, tail.length).equals(tail)) {
        return { ok: false, error: { code: 'not-a-journal', file, line: 1, message: `${file}:1: not a switchyard journal (it does not start with "${JOURNAL_HEADER}")` } };
      }
      return { ok: true, scan: { records, validBytes: pos, torn: { line, bytes: tail.length }, header: line > 1 } };
    }
    const text = bytes.subarray(pos, nl).toString('utf8');
    if (line === 1) {
      if (text !== JOURNAL_HEADER) {
        return { ok: false, error: { code: 'not-a-journal', file, line: 1, message: `${file}:1: not a switchyard journal (it does not start with "${JOURNAL_HEADER}")` } };
      }
    } else {
      const parsed = parseJournalLine(text);
      if (!parsed.ok) return { ok: false, error: { code: 'corrupt', file, line, message: `${file}:${line}: corrupt journal line: ${parsed.why}` } };
      records.push(parsed.record);
    }
    pos = nl + 1;
  }
  return { ok: true, scan: { records, validBytes: pos, torn: undefined, header: line >= 1 } };
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

function why(e: unknown): string {
  const code = errnoOf(e);
  return code === 'ENOENT' ? 'no such file or folder' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
}

/** Writes all of `text` at the fd's position (the end, for an fd opened to append). */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
}

/** Makes a new directory entry durable. */
function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

class FileJournalImpl implements FileJournal {
  private fd: number | undefined;
  /** Bytes to keep before the next append, while a torn tail is still in the file. */
  private cut: number | undefined;
  private header: boolean;

  constructor(
    readonly file: string,
    fd: number,
    readonly records: readonly JournalRecord[],
    readonly torn: TornTail | undefined,
    readonly created: boolean,
    validBytes: number,
    header: boolean,
  ) {
    this.fd = fd;
    this.cut = torn === undefined ? undefined : validBytes;
    this.header = header;
  }

  append(record: JournalRecord): void {
    const fd = this.fd;
    if (fd === undefined) throw new SwitchyardError('invalid-argument', [{ path: '$', message: `journal ${this.file} is closed` }]);
    const line = journalLine(record);
    if (this.cut !== undefined) {
      ftruncateSync(fd, this.cut);
      this.cut = undefined;
    }
    writeAll(fd, this.header ? line : `${JOURNAL_HEADER}\n${line}`);
    fsyncSync(fd);
    this.header = true;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Opens (or creates) a journal file. Its records are read at once; a torn last line (a crash
 * mid-write) is ignored and cut off before the next append; a new file gets its header, and its
 * folder is fsync'd so that the file itself survives a crash.
 * @param path - the journal file
 * @returns the journal, or an error naming the file and the line at fault (never throws for a bad file)
 * @example
 * ```ts
 * const opened = openJournal('/var/lib/switchyard/journal');
 * if (!opened.ok) throw new Error(opened.error.message);
 * const controller = createController({ instance, executor, journal: opened.journal });
 * ```
 */
export function openJournal(path: string): JournalOpening {
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') return { ok: false, error: { code: 'unreadable', file: path, message: `cannot read journal ${path}: ${why(e)}` } };
  }
  const created = bytes === undefined;
  const found = scan(path, bytes ?? Buffer.alloc(0));
  if (!found.ok) return found;
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    return { ok: false, error: { code: 'unreadable', file: path, message: `cannot open journal ${path} to append: ${why(e)}` } };
  }
  const s = found.scan;
  try {
    if (!s.header && s.torn === undefined) {
      // Empty (new) file: write its header now, so that the file is a journal from the start.
      writeAll(fd, `${JOURNAL_HEADER}\n`);
      fsyncSync(fd);
    }
    if (created) fsyncDirectory(dirname(path));
  } catch (e) {
    closeSync(fd);
    return { ok: false, error: { code: 'unreadable', file: path, message: `cannot write journal ${path}: ${why(e)}` } };
  }
  const header = s.header || s.torn === undefined;
  return { ok: true, journal: new FileJournalImpl(path, fd, s.records, s.torn, created, s.validBytes, header) };
}

// ----- in memory --------------------------------------------------------------------------------

class MemoryJournalImpl implements MemoryJournal {
  private open = true;
  private readonly list: JournalRecord[];

  constructor(readonly records: readonly JournalRecord[]) {
    this.list = [...records];
  }

  get all(): readonly JournalRecord[] {
    return this.list;
  }

  append(record: JournalRecord): void {
    if (!this.open) throw new SwitchyardError('invalid-argument', [{ path: '$', message: 'memory journal is closed' }]);
    // Through the file's codec: a record that a file would not keep as it is fails here too.
    const line = journalLine(record);
    const parsed = parseJournalLine(line.slice(0, -1));
    if (!parsed.ok) throw new SwitchyardError('invalid-argument', [{ path: '$', message: `record cannot be journaled: ${parsed.why}` }]);
    this.list.push(parsed.record);
  }

  close(): void {
    this.open = false;
  }

  reopen(): MemoryJournal {
    this.close();
    return new MemoryJournalImpl([...this.list]);
  }
}

/**
 * A journal in memory: the same interface as a file journal (records go through the same
 * encoding, so they come back as a file would give them), nothing durable.
 * @param records - records it already holds, as if read from a file (default none)
 * @returns the journal
 * @example
 * ```ts
 * const journal = memoryJournal();
 * const first = createController({ instance, executor, journal });
 * // ... later, a "restart" on the same records:
 * const second = createController({ instance, executor, journal: journal.reopen() });
 * ```
 */
export function memoryJournal(records: readonly JournalRecord[] = []): MemoryJournal {
  return new MemoryJournalImpl(records);
}
