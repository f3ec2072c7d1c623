/**
 * `switchyard import btrplace IN.json[.gz] [-o OUT.json] [--strict] [--quiet]`: a BtrPlace
 * instance to the exchange format v1.
 */
import { parseArgs } from 'node:util';
import { btrPlaceText } from '../io/btrplace/read.js';
import { importBtrPlace } from '../io/btrplace/import.js';
import { decodeJson } from '../io/json.js';
import { validateInstance } from '../io/instance.js';
import { cannotRead } from './files.js';
import type { CliIo } from './run.js';
import { progressPrinter } from './progress.js';
import { UsageError } from './usage.js';

/** Help text of `switchyard import`. */
export const IMPORT_HELP = `Usage: switchyard import btrplace IN.json[.gz] [-o OUT.json] [--strict] [--quiet]

Converts a BtrPlace instance (JSON of BtrPlace's json module: model.mapping, views, attributes,
constraints, objective; plain or gzip) to the exchange format v1. VM 7 becomes "vm7", node 3 "n3".
Durations come from the attributes (migrate, boot, shutdown, suspend, resume of a VM; boot,
shutdown of a node) where present and > 0, written as the VM's or node's "durations" field, else
the TDSC 2013 defaults: migrate = memory / 10 s, suspend and resume likewise, boots and shutdowns 6 s.
Whatever cannot be carried over exactly (a constraint switchyard lacks, a continuous flag it
cannot honour, a view it does not know) is named on standard error, and so are the values
that are ignored as BtrPlace ignores them (a resource value for a VM or node absent from the
mapping: "warning: ...").

Options:
  -o, --output OUT   where to write the instance JSON (default: standard output)
      --strict       fail (exit 1) when anything cannot be converted exactly
  -q, --quiet        no progress and no notes, only errors

Exit codes: 0 converted, 1 unreadable or invalid input (or lossy under --strict), 2 usage error.
`;

/**
 * Runs `switchyard import`.
 * @param io - the outside world
 * @param args - the arguments after `import`
 * @returns the exit code
 */
export async function cmdImport(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      strict: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [format, file, ...extra] = positionals;
  if (format !== 'btrplace') throw new UsageError(`switchyard import takes a source format first: "btrplace" (got ${format === undefined ? 'nothing' : `"${format}"`})`);
  if (file === undefined || extra.length > 0) throw new UsageError('switchyard import btrplace takes 1 file argument');
  const progress = progressPrinter(io, { quiet: values.quiet === true, command: 'import' });
  progress({ phase: 'read', detail: file });
  let bytes: Uint8Array;
  try {
    bytes = io.readBytes ? await io.readBytes(file) : Buffer.from(await io.readFile(file), 'utf8');
  } catch (e) {
    progress.done();
    io.stderr(`${file}: cannot read: ${cannotRead(e)}\n`);
    return 1;
  }
  progress({ phase: 'decompress' });
  const text = await btrPlaceText(bytes);
  const decoded = text.ok ? decodeJson(text.value) : text;
  if (!decoded.ok) {
    progress.done();
    for (const i of decoded.issues) io.stderr(`${file}: ${i.path}: ${i.message}\n`);
    return 1;
  }
  progress({ phase: 'convert' });
  const r = importBtrPlace(decoded.value);
  if (!r.ok) {
    progress.done();
    for (const i of r.issues) io.stderr(`${file}: ${i.path}: ${i.message}\n`);
    io.stderr(`${file}: not a BtrPlace instance switchyard can read (${r.issues.length} problem${r.issues.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  progress({ phase: 'validate' });
  // The document must be a valid instance: a failure here is a bug of the converter.
  const v = validateInstance(r.value.instance);
  progress.done();
  if (!v.ok) {
    for (const i of v.issues.slice(0, 20)) io.stderr(`${file}: converted instance: ${i.path}: ${i.message}\n`);
    return 1;
  }
  const lossy = r.value.notes.filter((n) => n.kind === 'lossy');
  if (values.strict && lossy.length > 0) {
    for (const n of lossy) io.stderr(`${file}: ${n.path}: cannot convert: ${n.message}\n`);
    io.stderr(`${file}: ${lossy.length} thing${lossy.length === 1 ? '' : 's'} cannot be converted exactly (--strict)\n`);
    return 1;
  }
  const prefix = { lossy: 'not converted exactly: ', warning: 'warning: ', info: '' } as const;
  if (!values.quiet) for (const n of r.value.notes) io.stderr(`${file}: ${n.path}: ${prefix[n.kind]}${n.message}\n`);
  const json = `${JSON.stringify(r.value.instance)}\n`;
  if (values.output === undefined) io.stdout(json);
  else await io.writeFile(values.output, json);
  if (!values.quiet) {
    const inst = v.value;
    io.stderr(
      `${file}: ${inst.nodes.size} nodes, ${inst.vms.size} VMs, ${inst.constraints.size} constraints` +
        `${values.output === undefined ? '' : ` written to ${values.output}`}\n`,
    );
  }
  return 0;
}
