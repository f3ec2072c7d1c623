/**
 * Brute-force reference meanings of every constraint, written naively and independently of
 * `src/constraints/` (quantifiers over all VMs, nodes, pairs and groups, straight from FORMAT.md).
 */
import type { InstantView } from '../../src/constraints/spec.js';
import type { ConstraintOf, ConstraintType } from '../../src/model/constraints.js';
import type { Configuration } from '../../src/model/configuration.js';
import type { Instance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';

type Holds = { [K in ConstraintType]: (inst: Instance, c: ConstraintOf<K>, conf: Configuration) => boolean };

const runsOn = (conf: Configuration, vm: string, n: string): boolean =>
  conf.vms.get(vm)?.state === 'running' && conf.vms.get(vm)?.host === n;
const running = (conf: Configuration, vm: string): boolean => conf.vms.get(vm)?.state === 'running';
/** Every node id anyone mentions. */
function allNodes(inst: Instance, conf: Configuration, extra: readonly string[] = []): string[] {
  const s = new Set<string>([...inst.nodes.keys(), ...conf.nodes.keys(), ...extra]);
  for (const p of conf.vms.values()) if (p.host !== undefined) s.add(p.host);
  return [...s];
}
const allVms = (conf: Configuration): string[] => [...conf.vms.keys()];
const placedOn = (state: string | undefined, host: string | undefined, n: string): boolean =>
  (state === 'running' || state === 'sleeping') && host === n;
const placed = (state: string | undefined): boolean => state === 'running' || state === 'sleeping';
const demand = (inst: Instance, vm: string, r: string): number => inst.vms.get(vm)?.demand.get(r) ?? 0;
const loadOn = (inst: Instance, conf: Configuration, n: string, r: string): number =>
  allVms(conf).filter((v) => runsOn(conf, v, n)).reduce((s, v) => s + demand(inst, v, r), 0);

/** Whether constraint `c` holds in `conf` (discrete meaning), by brute force. */
export const HOLDS: Holds = {
  ban: (_i, c, conf) => c.vms.every((v) => c.nodes.every((n) => !runsOn(conf, v, n))),
  fence: (_i, c, conf) => c.vms.every((v) => !running(conf, v) || c.nodes.some((n) => runsOn(conf, v, n))),
  spread: (i, c, conf) =>
    c.vms.every((a) => c.vms.every((b) => a === b || allNodes(i, conf).every((n) => !(runsOn(conf, a, n) && runsOn(conf, b, n))))),
  gather: (i, c, conf) => {
    const up = c.vms.filter((v) => running(conf, v));
    return up.length === 0 || allNodes(i, conf).some((n) => up.every((v) => runsOn(conf, v, n)));
  },
  among: (_i, c, conf) => {
    const up = c.vms.filter((v) => running(conf, v));
    return up.length === 0 || c.groups.some((g) => up.every((v) => g.some((n) => runsOn(conf, v, n))));
  },
  split: (i, c, conf) =>
    c.groups.every((gi, i1) =>
      c.groups.every(
        (gj, j1) =>
          i1 === j1 || allNodes(i, conf).every((n) => !(gi.some((a) => runsOn(conf, a, n)) && gj.some((b) => runsOn(conf, b, n)))),
      ),
    ),
  lonely: (i, c, conf) =>
    allNodes(i, conf).every(
      (n) => !(c.vms.some((a) => runsOn(conf, a, n)) && allVms(conf).some((b) => !c.vms.includes(b) && runsOn(conf, b, n))),
    ),
  root: (i, c, conf) =>
    c.vms.every((v) => {
      const s = i.vms.get(v);
      const t = conf.vms.get(v);
      return !(placed(s?.state) && placed(t?.state)) || s?.host === t?.host;
    }),
  quarantine: (i, c, conf) =>
    c.nodes.every((q) =>
      allVms(conf).every((v) => {
        const s = i.vms.get(v);
        const t = conf.vms.get(v)!;
        const wasThere = placedOn(s?.state, s?.host, q);
        const isThere = placedOn(t.state, t.host, q);
        // Stays if it was there and still runs or sleeps; arrives only if it was there.
        return (!wasThere || !placed(t.state) || isThere) && (!isThere || wasThere);
      }),
    ),
  overbook: (i, c, conf) =>
    c.nodes.every((n) => loadOn(i, conf, n, c.resource) <= (i.nodes.get(n)?.capacity.get(c.resource) ?? 0) * c.ratio),
  resourceCapacity: (i, c, conf) => [...new Set(c.nodes)].reduce((s, n) => s + loadOn(i, conf, n, c.resource), 0) <= c.amount,
  runningCapacity: (_i, c, conf) => allVms(conf).filter((v) => c.nodes.some((n) => runsOn(conf, v, n))).length <= c.amount,
  maxOnline: (_i, c, conf) => [...new Set(c.nodes)].filter((n) => conf.nodes.get(n) === 'online').length <= c.amount,
  online: (_i, c, conf) => c.nodes.every((n) => conf.nodes.get(n) === 'online'),
  offline: (_i, c, conf) => c.nodes.every((n) => conf.nodes.get(n) !== 'online' && allVms(conf).every((v) => !runsOn(conf, v, n))),
  reserved: (i, c, conf) =>
    c.nodes.every((n) => allVms(conf).every((v) => !runsOn(conf, v, n) || (i.vms.get(v)?.vjob ?? v) === c.vjob)),
  running: (_i, c, conf) => c.vms.every((v) => conf.vms.get(v)?.state === 'running'),
  sleeping: (_i, c, conf) => c.vms.every((v) => conf.vms.get(v)?.state === 'sleeping'),
  terminated: (_i, c, conf) => c.vms.every((v) => conf.vms.get(v)?.state === 'terminated'),
};

const occ = (view: InstantView, vm: string): readonly string[] => view.occupancy.get(vm) ?? [];

/** Continuous meanings at an instant, by brute force (state-based constraints). */
export const HOLDS_AT = {
  spread: (c: ConstraintOf<'spread'>, view: InstantView): boolean =>
    c.vms.every((a) => c.vms.every((b) => a === b || occ(view, a).every((n) => !occ(view, b).includes(n)))),
  ban: (c: ConstraintOf<'ban'>, view: InstantView): boolean => c.vms.every((v) => c.nodes.every((n) => !occ(view, v).includes(n))),
  fence: (c: ConstraintOf<'fence'>, view: InstantView): boolean => c.vms.every((v) => occ(view, v).every((n) => c.nodes.includes(n))),
  among: (c: ConstraintOf<'among'>, view: InstantView): boolean =>
    c.vms.every((v) => occ(view, v).length === 0) || c.groups.some((g) => c.vms.every((v) => occ(view, v).every((n) => g.includes(n)))),
};

/** Continuous meanings on an action, by brute force (action-based constraints). */
export const ALLOWS = {
  root: (c: ConstraintOf<'root'>, a: Action): boolean =>
    !((a.type === 'migrate' && c.vms.includes(a.vm)) || (a.type === 'resume' && a.from !== a.to && c.vms.includes(a.vm))),
  quarantine: (c: ConstraintOf<'quarantine'>, a: Action): boolean => {
    const q = (n: string): boolean => c.nodes.includes(n);
    if (a.type === 'migrate') return !q(a.from) && !q(a.to);
    if (a.type === 'boot') return !q(a.to);
    if (a.type === 'resume' && a.from !== a.to) return !q(a.from) && !q(a.to);
    return true;
  },
};
