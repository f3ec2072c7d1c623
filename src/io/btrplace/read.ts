/**
 * Reading BtrPlace files: plain or gzip-compressed JSON (BtrPlace ships its workloads as `.gz`).
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { fail, ok, type Result } from '../../errors.js';
import { decodeJson } from '../json.js';
import { importBtrPlace, type BtrPlaceImport } from './import.js';

const gunzipAsync = promisify(gunzip);

/** Whether bytes start with the gzip magic number (1f 8b), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The text of a file's bytes, decompressed first when they are gzip.
 * @param bytes - the file's content
 * @returns the UTF-8 text, or an issue when the gzip stream is broken
 * @example
 * ```ts
 * const r = await btrPlaceText(await readFile('1.gz'));
 * ```
 */
export async function btrPlaceText(bytes: Uint8Array): Promise<Result<string>> {
  if (!isGzip(bytes)) return ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  try {
    return ok((await gunzipAsync(bytes)).toString('utf8'));
  } catch (e) {
    return fail([{ path: '$', message: `broken gzip data: ${(e as Error).message}` }]);
  }
}

/**
 * Reads a BtrPlace instance file (JSON, or JSON in gzip) and converts it ({@link importBtrPlace}).
 * @param path - the file
 * @returns the exchange-format document and the notes, or the issues (a file that cannot be read is one issue at `$`)
 * @example
 * ```ts
 * const r = await readBtrPlaceFile('../shared/btrplace/nr-r3-c0.json.gz');
 * ```
 */
export async function readBtrPlaceFile(path: string): Promise<Result<BtrPlaceImport>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return fail([{ path: '$', message: `cannot read ${path}: ${why}` }]);
  }
  const text = await btrPlaceText(bytes);
  if (!text.ok) return text;
  const decoded = decodeJson(text.value);
  if (!decoded.ok) return decoded;
  return importBtrPlace(decoded.value);
}
