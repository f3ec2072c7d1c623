import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/run.js';
import { runInMemory, type CliRun } from '../support/cli.js';

const run = (argv: string[], files: Record<string, string> = {}): Promise<CliRun> => runInMemory(argv, new Map(Object.entries(files)));

const demo = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');

describe('switchyard render', () => {
  it('goes from an instance to an HTML report and an SVG image in two commands', async () => {
    const planned = await run(['plan', 'demo.json', '-o', 'plan.json', '-q', '-t', '2'], { 'demo.json': demo });
    expect(planned.code).toBe(EXIT.ok);
    const files = { 'demo.json': demo, 'plan.json': planned.files.get('plan.json')! };
    const plan = JSON.parse(files['plan.json']) as { actions: { id: number }[] };
    const html = await run(['render', 'plan.json', '--instance', 'demo.json', '-o', 'out.html'], files);
    expect(html.code).toBe(EXIT.ok);
    expect(html.out).toContain('out.html');
    const page = html.files.get('out.html')!;
    expect(page.startsWith('<!doctype html>')).toBe(true);
    for (const a of plan.actions) expect(page).toContain(`data-action="${a.id}"`);
    expect(page).not.toMatch(/(src|href)="https?:/);
    const svg = await run(['render', 'plan.json', '-i', 'demo.json', '-o', 'out.SVG'], files);
    expect(svg.code).toBe(EXIT.ok);
    expect(svg.files.get('out.SVG')!).toMatch(/^<\?xml[^]*<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const stdout = await run(['render', 'plan.json', '-i', 'demo.json', '--format', 'svg', '--title', 'T<1>'], files);
    expect(stdout.code).toBe(EXIT.ok);
    expect(stdout.out).toContain('<title>T&#60;1&#62;</title>');
  });

  it('answers usage errors with exit 2 and names what is missing', async () => {
    const files = { 'demo.json': demo, 'plan.json': '{}' };
    const cases: [string[], RegExp][] = [
      [['render', 'plan.json'], /needs --instance/],
      [['render', '--instance', 'demo.json'], /takes 1 file argument/],
      [['render', 'plan.json', '-i', 'demo.json', '-o', 'out.png'], /cannot tell the format of "out.png"/],
      [['render', 'plan.json', '-i', 'demo.json', '--format', 'pdf'], /--format must be "html" or "svg"/],
      [['render', 'plan.json', '-i', 'demo.json', '--width', '10'], /--width must be/],
      [['render', 'plan.json', '-i', 'demo.json', '--bogus'], /bogus/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv, files);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.err).toMatch(msg);
    }
    const help = await run(['render', '--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toContain('Usage: switchyard render PLAN --instance INSTANCE');
    expect((await run(['--help'])).out).toContain('switchyard render PLAN');
  });

  it('answers bad input with exit 1, naming the file and the field, VM or node at fault', async () => {
    const planned = await run(['plan', 'demo.json', '-q', '-t', '2'], { 'demo.json': demo });
    const planText = planned.out;
    const missing = await run(['render', 'nope.json', '-i', 'demo.json'], { 'demo.json': demo });
    expect(missing.code).toBe(EXIT.invalid);
    expect(missing.err).toContain('nope.json: cannot read: no such file');
    const badPlan = await run(['render', 'plan.json', '-i', 'demo.json'], { 'demo.json': demo, 'plan.json': '{"version":1,"status":"optimal","actions":[{"id":0}]}' });
    expect(badPlan.code).toBe(EXIT.invalid);
    expect(badPlan.err).toMatch(/plan.json: actions\[0\]/);
    const ghost = JSON.parse(planText) as { actions: { vm?: string }[] };
    const withGhost = { ...ghost, actions: ghost.actions.map((a, i) => (i === 0 && a.vm !== undefined ? { ...a, vm: 'ghost' } : a)) };
    const refs = await run(['render', 'plan.json', '-i', 'demo.json'], { 'demo.json': demo, 'plan.json': JSON.stringify(withGhost) });
    expect(refs.code).toBe(EXIT.invalid);
    expect(refs.err).toContain('"ghost"');
    const badInst = await run(['render', 'plan.json', '-i', 'demo.json'], { 'demo.json': '{"version":1,"nodes":[]}', 'plan.json': planText });
    expect(badInst.code).toBe(EXIT.invalid);
    expect(badInst.err).toMatch(/demo.json: vms/);
    for (const r of [missing, badPlan, refs, badInst]) expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('still draws a plan that fails the verifier, with a warning', async () => {
    const planned = await run(['plan', 'demo.json', '-q', '-t', '2'], { 'demo.json': demo });
    const plan = JSON.parse(planned.out) as { actions: { start: number; end: number }[] };
    // Every action at once: dependencies broken.
    const squashed = { ...plan, actions: plan.actions.map((a) => ({ ...a, start: 0, end: a.end - a.start })) };
    const r = await run(['render', 'plan.json', '-i', 'demo.json', '-o', 'x.html'], { 'demo.json': demo, 'plan.json': JSON.stringify(squashed) });
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toMatch(/warning: the plan does not pass the verifier/);
    expect(r.files.get('x.html')).toContain('data-action="0"');
  });
});
