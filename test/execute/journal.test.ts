/**
 * The controller's journal: a file of checksummed lines that survives a crash mid-write (a torn
 * last line is ignored, then cut off before the next append) and refuses corruption in the middle
 * with an error naming the file and line; and the in-memory journal of the same interface.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { JOURNAL_HEADER, journalLine, memoryJournal, openJournal, parseJournalLine, type FileJournal } from '../../src/execute/controller/journal.js';
import type { JournalRecord } from '../../src/execute/controller/types.js';
import { SwitchyardError } from '../../src/errors.js';
import { crc32 } from 'node:zlib';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `j${n++}.log`);

function open(path: string): FileJournal {
  const o = openJournal(path);
  if (!o.ok) throw new Error(o.error.message);
  return o.journal;
}

/** One record of every type, with the awkward values: Infinity, unicode and quotes in ids, extensions. */
const SAMPLE: JournalRecord[] = [
  { type: 'start', time: 0, seed: 7, x: { origin: 1765150000.25, note: 'héllo "world"\n' } },
  { type: 'submit', time: 1.5, job: { id: 'j "1"\n', vms: [{ id: 'vm-ü', demand: { cpu: 2, memory: 1024 }, durations: { boot: 3 } }], work: Infinity, priority: 2 } },
  { type: 'submit', time: 2, job: { id: 'Infinity', vms: [{ id: 'NaN', demand: { cpu: 1 } }], work: 30, bestEffort: true } },
  { type: 'reserve', time: 3, reservation: { job: { id: 'r', vms: [{ id: 'rv', demand: { cpu: 1 } }] }, start: 100, end: 200, nodes: ['n1', 'n2'] } },
  { type: 'plan', time: 4, decision: 1, actions: [{ id: 0, type: 'boot', vm: 'vm-ü', to: 'n1', start: 0, end: 3 }, { id: 1, type: 'migrate', vm: 'NaN', from: 'n1', to: 'n2', start: 0, end: 1, after: [0] }] },
  { type: 'actionStarted', time: 4, decision: 1, action: 0 },
  { type: 'actionEnded', time: 7, decision: 1, action: 0, status: 'succeeded' },
  { type: 'cancel', time: 8, vjob: 'Infinity' },
  { type: 'drain', time: 9, node: 'n2' },
  { type: 'nodeFailed', time: 10, node: 'n1' },
  { type: 'nodeRepaired', time: 11, node: 'n1' },
  { type: 'finished', time: 12, vjob: 'j "1"\n' },
  { type: 'stop', time: 13 },
];

describe('openJournal', () => {
  it('round-trips every record type, Infinity and odd ids included, in a header + one line per record file', () => {
    const path = fresh();
    const j = open(path);
    expect(j.created).toBe(true);
    expect(j.records).toEqual([]);
    for (const r of SAMPLE) j.append(r);
    j.close();
    j.close(); // idempotent
    const again = open(path);
    expect(again.created).toBe(false);
    expect(again.torn).toBeUndefined();
    expect(again.records).toEqual(SAMPLE);
    const submit = again.records[1];
    expect(submit?.type === 'submit' && submit.job.work).toBe(Infinity);
    const odd = again.records[2];
    expect(odd?.type === 'submit' && odd.job.id).toBe('Infinity'); // a string stays a string
    again.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe(JOURNAL_HEADER);
    expect(lines).toHaveLength(SAMPLE.length + 2); // header, records, '' after the last newline
    expect(lines.at(-1)).toBe('');
    for (const l of lines.slice(1, -1)) {
      expect(l).toMatch(/^[0-9a-f]{8} \{"r":/);
      expect(l.slice(0, 8)).toBe(crc32(l.slice(9)).toString(16).padStart(8, '0'));
    }
  });

  it('a new file holds its header at once; appending to a reopened journal goes after the old records', () => {
    const path = fresh();
    open(path).close();
    expect(readFileSync(path, 'utf8')).toBe(`${JOURNAL_HEADER}\n`);
    const a = open(path);
    a.append(SAMPLE[0]!);
    a.close();
    const b = open(path);
    b.append(SAMPLE[1]!);
    b.close();
    expect(open(path).records).toEqual([SAMPLE[0], SAMPLE[1]]);
  });

  it('ignores a torn last line, leaves it until the next append, then cuts it off', () => {
    const path = fresh();
    const j = open(path);
    for (const r of SAMPLE.slice(0, 3)) j.append(r);
    j.close();
    const whole = journalLine(SAMPLE[3]!);
    const half = Buffer.from(whole).subarray(0, Math.floor(Buffer.byteLength(whole) / 2));
    appendFileSync(path, half);
    const sizeTorn = readFileSync(path).length;

    const reopened = open(path);
    expect(reopened.records).toEqual(SAMPLE.slice(0, 3));
    expect(reopened.torn).toEqual({ line: 5, bytes: half.length });
    expect(readFileSync(path).length).toBe(sizeTorn); // opening changes nothing
    reopened.append(SAMPLE[4]!);
    reopened.close();

    const after = open(path);
    expect(after.torn).toBeUndefined();
    expect(after.records).toEqual([...SAMPLE.slice(0, 3), SAMPLE[4]]);
    expect(readFileSync(path, 'utf8')).toBe(JOURNAL_HEADER + '\n' + [...SAMPLE.slice(0, 3), SAMPLE[4]!].map(journalLine).join(''));
  });

  it('a complete line without its newline is still torn (its append never returned)', () => {
    const path = fresh();
    const j = open(path);
    j.append(SAMPLE[0]!);
    j.close();
    appendFileSync(path, journalLine(SAMPLE[1]!).slice(0, -1));
    const r = open(path);
    expect(r.records).toEqual([SAMPLE[0]]);
    expect(r.torn?.line).toBe(3);
  });

  it('a torn header (crash while creating) opens as an empty journal and is rewritten by the next append', () => {
    const path = fresh();
    writeFileSync(path, JOURNAL_HEADER.slice(0, 7));
    const j = open(path);
    expect(j.records).toEqual([]);
    expect(j.torn).toEqual({ line: 1, bytes: 7 });
    j.append(SAMPLE[0]!);
    j.close();
    expect(readFileSync(path, 'utf8')).toBe(`${JOURNAL_HEADER}\n${journalLine(SAMPLE[0]!)}`);
  });

  it('a corrupt line in the middle is an error naming the file and the line', () => {
    const path = fresh();
    const j = open(path);
    for (const r of SAMPLE.slice(0, 4)) j.append(r);
    j.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"time":1.5', '"time":2.5'); // a flipped digit: the checksum no longer matches
    writeFileSync(path, lines.join('\n'));
    const o = openJournal(path);
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.error).toMatchObject({ code: 'corrupt', file: path, line: 3 });
    expect(o.error.message).toContain(`${path}:3:`);
    expect(o.error.message).toMatch(/checksum mismatch/);
  });

  it('a corrupt complete last line is corruption, not a torn tail', () => {
    const path = fresh();
    const j = open(path);
    j.append(SAMPLE[0]!);
    j.append(SAMPLE[1]!);
    j.close();
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, -3) + 'x}\n');
    const o = openJournal(path);
    expect(!o.ok && o.error.code).toBe('corrupt');
    expect(!o.ok && o.error.line).toBe(3);
  });

  it('refuses a file that is not a journal, and leaves it untouched', () => {
    const path = fresh();
    writeFileSync(path, '{"nodes": [], "vms": []}');
    const o = openJournal(path);
    expect(!o.ok && o.error).toMatchObject({ code: 'not-a-journal', file: path, line: 1 });
    expect(readFileSync(path, 'utf8')).toBe('{"nodes": [], "vms": []}');
    const p2 = fresh();
    writeFileSync(p2, 'hello\nworld\n');
    expect(!openJournal(p2).ok && (openJournal(p2) as { error: { code: string } }).error.code).toBe('not-a-journal');
  });

  it('a file it cannot create or read is `unreadable`', () => {
    const missing = openJournal(join(dir, 'no-such-folder', 'j.log'));
    expect(!missing.ok && missing.error.code).toBe('unreadable');
    expect(!missing.ok && missing.error.message).toContain('no-such-folder');
    const sub = join(dir, 'a-folder');
    mkdirSync(sub);
    const folder = openJournal(sub);
    expect(!folder.ok && folder.error.code).toBe('unreadable');
  });

  it('append after close is misuse (SwitchyardError)', () => {
    const j = open(fresh());
    j.close();
    expect(() => j.append(SAMPLE[0]!)).toThrow(SwitchyardError);
  });
});

describe('parseJournalLine', () => {
  const line = (json: string): string => `${crc32(json).toString(16).padStart(8, '0')} ${json}`;
  it('checks the checksum, the JSON, the type and the fields of the type', () => {
    expect(parseJournalLine(line('{"r":{"type":"stop","time":1}}'))).toEqual({ ok: true, record: { type: 'stop', time: 1 } });
    expect(parseJournalLine('0000000 {"r":{}}')).toMatchObject({ ok: false, why: expect.stringMatching(/no checksum/) });
    expect(parseJournalLine(line('{"r":'))).toMatchObject({ ok: false, why: expect.stringMatching(/invalid JSON/) });
    expect(parseJournalLine(line('{"r":{"type":"reboot","time":1}}'))).toMatchObject({ ok: false, why: expect.stringMatching(/unknown record type "reboot"/) });
    expect(parseJournalLine(line('{"r":{"type":"stop"}}'))).toMatchObject({ ok: false, why: expect.stringMatching(/finite time/) });
    expect(parseJournalLine(line('{"r":{"type":"submit","time":1}}'))).toMatchObject({ ok: false, why: expect.stringMatching(/lacks a field/) });
    expect(parseJournalLine(line('{"r":{"type":"cancel","time":1,"vjob":3}}'))).toMatchObject({ ok: false, why: expect.stringMatching(/lacks a field/) });
    expect(parseJournalLine(line('{"r":{"type":"stop","time":1,"extra":null},"n":[[["extra"],"Infinity"]]}'))).toEqual({ ok: true, record: { type: 'stop', time: 1, extra: Infinity } });
    expect(parseJournalLine(line('{"r":{"type":"stop","time":1},"n":[[["time"],"Infinity"]]}'))).toMatchObject({ ok: false, why: expect.stringMatching(/special numbers/) });
    expect(parseJournalLine(line('{"r":{"type":"stop","time":1},"n":[[["__proto__","x"],"NaN"]]}'))).toMatchObject({ ok: false });
  });
});

describe('memoryJournal', () => {
  it('keeps what a file keeps, copies what it is given, and reopens on every record so far', () => {
    const j = memoryJournal();
    const job = { id: 'j', vms: [{ id: 'v', demand: { cpu: 1 } }], work: Infinity };
    j.append({ type: 'submit', time: 0, job });
    job.id = 'changed';
    j.append({ type: 'stop', time: 1 });
    expect(j.records).toEqual([]);
    expect(j.all).toEqual([{ type: 'submit', time: 0, job: { id: 'j', vms: [{ id: 'v', demand: { cpu: 1 } }], work: Infinity } }, { type: 'stop', time: 1 }]);
    const k = j.reopen();
    expect(k.records).toEqual(j.all);
    expect(() => j.append({ type: 'stop', time: 2 })).toThrow(SwitchyardError); // the "crashed" one is closed
    k.append({ type: 'stop', time: 2 });
    expect(k.all).toHaveLength(3);
    expect(memoryJournal(SAMPLE).records).toEqual(SAMPLE);
  });
});

// ----- properties -------------------------------------------------------------------------------

const id = fc.string({ unit: 'binary', maxLength: 6 });
const time = fc.double({ min: 0, max: 1e6, noNaN: true });
const work = fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 1e5, noNaN: true }));
const job = fc.record({ id, vms: fc.array(fc.record({ id, demand: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.nat(4096)) }), { maxLength: 3 }), work }, { requiredKeys: ['id', 'vms'] });
const record: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc.record({ type: fc.constant('start' as const), time, seed: fc.integer() }),
  fc.record({ type: fc.constant('submit' as const), time, job }),
  fc.record({ type: fc.constant('cancel' as const), time, vjob: id }),
  fc.record({ type: fc.constant('nodeFailed' as const), time, node: id }),
  fc.record({ type: fc.constant('actionStarted' as const), time, decision: fc.nat(), action: fc.nat() }),
  fc.record({ type: fc.constant('actionEnded' as const), time, decision: fc.nat(), action: fc.nat(), status: fc.constantFrom('succeeded' as const, 'failed' as const) }),
  fc.record({ type: fc.constant('finished' as const), time, vjob: id }),
  fc.record({ type: fc.constant('stop' as const), time }),
);

describe('journal properties', () => {
  it('any record round-trips through the line codec (memory journal)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const j = memoryJournal();
        for (const r of records) j.append(r);
        expect(j.reopen().records).toEqual(records);
      }),
      { numRuns: 200 },
    );
  });

  it('any prefix cut of a valid journal file reopens to a prefix of its records, and appends after it', () => {
    const base = fresh();
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), record, (records, where, extra) => {
        rmSync(base, { force: true });
        const j = open(base);
        for (const r of records) j.append(r);
        j.close();
        const bytes = readFileSync(base);
        const cut = Math.floor(where * bytes.length);
        const path = fresh();
        writeFileSync(path, bytes.subarray(0, cut));
        const reopened = open(path);
        const k = reopened.records.length;
        expect(reopened.records).toEqual(records.slice(0, k));
        // Exactly the records whose line (newline included) lies before the cut.
        const ends: number[] = [];
        let at = Buffer.byteLength(`${JOURNAL_HEADER}\n`);
        for (const r of records) ends.push((at += Buffer.byteLength(journalLine(r))));
        expect(k).toBe(ends.filter((e) => e <= cut).length);
        expect(reopened.torn === undefined).toBe(cut === 0 || cut === Buffer.byteLength(`${JOURNAL_HEADER}\n`) || ends.includes(cut));
        reopened.append(extra);
        reopened.close();
        expect(open(path).records).toEqual([...records.slice(0, k), extra]);
        rmSync(path);
      }),
      { numRuns: 150 },
    );
  });
});
