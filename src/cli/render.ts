/**
 * `switchyard render PLAN --instance INSTANCE [-o OUT.svg|OUT.html]`: a picture of a plan.
 */
import { parseArgs } from 'node:util';
import { verifyPlan } from '../plan/verify.js';
import { renderPlan, type RenderFormat } from '../report/render.js';
import { loadInstance, loadPlan } from './files.js';
import { EXIT, UsageError, type CliIo } from './run.js';

/** Help text of `switchyard render`. */
export const RENDER_HELP = `Usage: switchyard render PLAN --instance INSTANCE [-o OUT.html|OUT.svg] [--format html|svg] [--title T]

Draws PLAN (for INSTANCE) as a Gantt chart: one lane per node that has actions, bars coloured by
action type (a migration on both its nodes, its destination labelled), the load of each node
before and after per resource, and the plan's headline figures.
  html (default): one self-contained page (no network), dependencies shown on hover; past
                  1,000 actions only the lanes in view are drawn, so 10,000 actions stay smooth.
  svg:            a static image (each bar's tooltip names the action and what it waits for).
Every bar carries data-action="<action id>".

Options:
  -i, --instance INSTANCE  the instance the plan is for (required)
  -o, --output OUT         where to write; the format follows the extension (.html, .htm, .svg)
                           (default: standard output, HTML)
  -f, --format F           html or svg (overrides the extension)
      --title T            title of the picture
      --width PX           width of the SVG image in pixels (default 1200)

A plan that does not pass the verifier is still drawn, with a warning on standard error.
Exit codes: 0 written, 1 invalid input (unreadable file, invalid instance or plan, a plan naming
VMs or nodes the instance lacks), 2 usage error.
`;

function formatOf(value: string | undefined, output: string | undefined): RenderFormat {
  if (value !== undefined) {
    if (value !== 'html' && value !== 'svg') throw new UsageError(`--format must be "html" or "svg", got "${value}"`);
    return value;
  }
  if (output === undefined) return 'html';
  const lower = output.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  throw new UsageError(`cannot tell the format of "${output}": name it .html or .svg, or give --format`);
}

/**
 * Runs `switchyard render`.
 * @param io - the outside world
 * @param args - the arguments after `render`
 * @returns the exit code
 * @example
 * ```ts
 * await cmdRender(io, ['plan.json', '--instance', 'cluster.json', '-o', 'plan.html']);
 * ```
 */
export async function cmdRender(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      instance: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string', short: 'f' },
      title: { type: 'string' },
      width: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`switchyard render takes 1 file argument (the plan), got ${positionals.length}`);
  const planFile = positionals[0]!;
  if (values.instance === undefined) throw new UsageError('switchyard render needs --instance INSTANCE (the instance the plan is for)');
  const format = formatOf(values.format, values.output);
  const width = values.width === undefined ? undefined : Number(values.width);
  if (width !== undefined && !(Number.isFinite(width) && width >= 700 && width <= 20000)) {
    throw new UsageError(`--width must be a number of pixels between 700 and 20000, got "${values.width}"`);
  }
  const inst = await loadInstance(io, values.instance);
  if (!inst) return EXIT.invalid;
  const plan = await loadPlan(io, inst, planFile);
  if (!plan) return EXIT.invalid;
  const v = verifyPlan(inst, plan);
  if (!v.ok) {
    io.stderr(`${planFile}: warning: the plan does not pass the verifier (${v.violations.length} violation${v.violations.length === 1 ? '' : 's'}, first: ${v.violations[0]!.message}); drawing it anyway\n`);
  }
  const doc = renderPlan(inst, plan, {
    format,
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(width !== undefined ? { width } : {}),
  });
  if (values.output === undefined) io.stdout(doc);
  else {
    await io.writeFile(values.output, doc);
    io.stdout(`${format.toUpperCase()} of ${plan.actions.length} actions written to ${values.output}\n`);
  }
  return EXIT.ok;
}
