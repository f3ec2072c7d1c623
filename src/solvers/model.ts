/**
 * A backend-neutral description of a mixed-integer linear program: columns with bounds,
 * integrality and costs, rows as a compressed sparse row (CSR) matrix with lower and upper
 * activity bounds, an objective to minimise, and an optional starting solution.
 *
 * Every field is a typed array or a number, so a model crosses to a worker thread by
 * structured cloning without conversion. Backends translate it to their own input
 * (HiGHS: its structured model API; GLPK: its JSON LP; javascript-lp-solver: its JSON model).
 */

/** A mixed-integer linear program: minimise `offset + colCost·x` subject to the rows and bounds. */
export interface MipModel {
  readonly numCols: number;
  readonly numRows: number;
  /** Objective coefficient per column (minimised). */
  readonly colCost: Float64Array;
  readonly colLower: Float64Array;
  readonly colUpper: Float64Array;
  /** 1 when the column is integer (binary when its bounds are [0, 1]). */
  readonly integer: Uint8Array;
  /** Constant added to the objective. */
  readonly offset: number;
  /** CSR row starts (`numRows + 1` entries); row `i` is `rowStarts[i]..rowStarts[i+1]`. */
  readonly rowStarts: Int32Array;
  /** Column of each coefficient (no column repeats within a row). */
  readonly rowIndex: Int32Array;
  readonly rowValue: Float64Array;
  /** Row activity bounds (`-Infinity` / `Infinity` when absent). */
  readonly rowLower: Float64Array;
  readonly rowUpper: Float64Array;
  /** A complete starting solution (one value per column), when one is known. */
  readonly start?: Float64Array;
  /** Column names, for LP-format export and debugging (generated when absent). */
  readonly colNames?: readonly string[];
}

/** Growable float array: amortised O(1) push into a Float64Array. */
class FloatList {
  data = new Float64Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** Growable int32 array. */
class IntList {
  data = new Int32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Builds a {@link MipModel} column by column and row by row. Repeated columns within one row are
 * merged (their coefficients added); zero coefficients are dropped.
 *
 * @example
 * ```ts
 * const b = new ModelBuilder();
 * const x = b.addBinary(3, 'x');
 * const y = b.addBinary(2, 'y');
 * b.addRow([x, y], [1, 1], 1, Infinity); // x + y >= 1
 * const model = b.build();               // minimise 3x + 2y: y = 1
 * ```
 */
export class ModelBuilder {
  private readonly cost = new FloatList();
  private readonly lower = new FloatList();
  private readonly upper = new FloatList();
  private readonly integral: number[] = [];
  private readonly names: string[] = [];
  private readonly starts = new IntList();
  private readonly index = new IntList();
  private readonly value = new FloatList();
  private readonly rLower = new FloatList();
  private readonly rUpper = new FloatList();
  private offset = 0;
  // Scratch for merging duplicate columns within a row.
  private mark = new Int32Array(64).fill(-1);

  constructor() {
    this.starts.push(0);
  }

  /** Number of columns added so far. */
  get numCols(): number {
    return this.cost.length;
  }

  /** Number of rows added so far. */
  get numRows(): number {
    return this.rLower.length;
  }

  /**
   * Adds a column.
   * @param cost - objective coefficient
   * @param lower - lower bound
   * @param upper - upper bound
   * @param integer - whether the column is integer
   * @param name - optional name (LP export)
   * @returns the column index
   */
  addColumn(cost: number, lower: number, upper: number, integer: boolean, name?: string): number {
    const j = this.cost.length;
    this.cost.push(cost);
    this.lower.push(lower);
    this.upper.push(upper);
    this.integral.push(integer ? 1 : 0);
    this.names.push(name ?? `c${j}`);
    return j;
  }

  /**
   * Adds a binary column.
   * @param cost - objective coefficient
   * @param name - optional name
   * @returns the column index
   */
  addBinary(cost: number, name?: string): number {
    return this.addColumn(cost, 0, 1, true, name);
  }

  /**
   * Sets the bounds of an existing column.
   * @param j - column index
   * @param lower - lower bound
   * @param upper - upper bound
   */
  setBounds(j: number, lower: number, upper: number): void {
    this.lower.data[j] = lower;
    this.upper.data[j] = upper;
  }

  /** Lower bound of column `j`. */
  lowerOf(j: number): number {
    return this.lower.data[j]!;
  }

  /** Upper bound of column `j`. */
  upperOf(j: number): number {
    return this.upper.data[j]!;
  }

  /**
   * Adds a constant to the objective.
   * @param c - the constant
   */
  addOffset(c: number): void {
    this.offset += c;
  }

  /**
   * Adds the row `lower <= Σ values[k]·x[cols[k]] <= upper`.
   * @param cols - column indices (repeats are merged)
   * @param values - coefficients, parallel to `cols`
   * @param lower - lower activity bound (`-Infinity` when none)
   * @param upper - upper activity bound (`Infinity` when none)
   * @returns the row index
   */
  addRow(cols: ArrayLike<number>, values: ArrayLike<number>, lower: number, upper: number): number {
    const n = this.cost.length;
    if (this.mark.length < n) {
      const m = new Int32Array(Math.max(n, this.mark.length * 2)).fill(-1);
      this.mark = m;
    }
    const begin = this.index.length;
    for (let k = 0; k < cols.length; k++) {
      const j = cols[k]!;
      const v = values[k]!;
      const at = this.mark[j]!;
      if (at >= begin && at < this.index.length && this.index.data[at] === j) {
        this.value.data[at]! += v;
      } else {
        this.mark[j] = this.index.length;
        this.index.push(j);
        this.value.push(v);
      }
    }
    // Drop zero coefficients (merging may cancel terms).
    let w = begin;
    for (let k = begin; k < this.index.length; k++) {
      const v = this.value.data[k]!;
      if (v !== 0) {
        this.index.data[w] = this.index.data[k]!;
        this.value.data[w] = v;
        w++;
      }
    }
    this.index.length = w;
    this.value.length = w;
    this.starts.push(w);
    this.rLower.push(lower);
    this.rUpper.push(upper);
    return this.rLower.length - 1;
  }

  /**
   * Freezes the model.
   * @param start - optional complete starting solution
   * @returns the model
   */
  build(start?: Float64Array): MipModel {
    return {
      numCols: this.cost.length,
      numRows: this.rLower.length,
      colCost: this.cost.view(),
      colLower: this.lower.view(),
      colUpper: this.upper.view(),
      integer: Uint8Array.from(this.integral),
      offset: this.offset,
      rowStarts: this.starts.view(),
      rowIndex: this.index.view(),
      rowValue: this.value.view(),
      rowLower: this.rLower.view(),
      rowUpper: this.rUpper.view(),
      colNames: [...this.names],
      ...(start === undefined ? {} : { start }),
    };
  }
}

/**
 * The objective value of `x` in `model` (`offset + colCost·x`).
 * @param model - the model
 * @param x - one value per column
 * @returns the objective value
 */
export function objectiveValue(model: MipModel, x: ArrayLike<number>): number {
  let z = model.offset;
  for (let j = 0; j < model.numCols; j++) z += model.colCost[j]! * x[j]!;
  return z;
}

/**
 * The largest violation of a bound, a row or integrality by `x` (0 when `x` is feasible).
 * @param model - the model
 * @param x - one value per column
 * @returns the largest absolute violation
 */
export function maxViolation(model: MipModel, x: ArrayLike<number>): number {
  let worst = 0;
  for (let j = 0; j < model.numCols; j++) {
    const v = x[j]!;
    worst = Math.max(worst, model.colLower[j]! - v, v - model.colUpper[j]!);
    if (model.integer[j]) worst = Math.max(worst, Math.abs(v - Math.round(v)));
  }
  for (let i = 0; i < model.numRows; i++) {
    let a = 0;
    for (let k = model.rowStarts[i]!; k < model.rowStarts[i + 1]!; k++) a += model.rowValue[k]! * x[model.rowIndex[k]!]!;
    worst = Math.max(worst, model.rowLower[i]! - a, a - model.rowUpper[i]!);
  }
  return worst;
}

function lpNumber(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function lpTerms(names: readonly string[], cols: ArrayLike<number>, vals: ArrayLike<number>, from: number, to: number): string {
  const parts: string[] = [];
  for (let k = from; k < to; k++) {
    const v = vals[k]!;
    parts.push(`${v < 0 ? '-' : '+'} ${Math.abs(v)} ${names[cols[k]!]!}`);
  }
  return parts.length === 0 ? '0 c0' : parts.join(' ');
}

/**
 * Writes a model in CPLEX LP format (the text format HiGHS, GLPK and most MIP solvers read),
 * for inspection or for feeding an external solver.
 *
 * @param model - the model
 * @returns the LP text
 * @example
 * ```ts
 * await writeFile('placement.lp', toLpFormat(model));
 * ```
 */
export function toLpFormat(model: MipModel): string {
  const names = model.colNames ?? Array.from({ length: model.numCols }, (_, j) => `c${j}`);
  const out: string[] = ['Minimize'];
  const objCols: number[] = [];
  const objVals: number[] = [];
  for (let j = 0; j < model.numCols; j++) {
    if (model.colCost[j] !== 0) {
      objCols.push(j);
      objVals.push(model.colCost[j]!);
    }
  }
  // A constant term is written as its own line (LP format accepts a bare constant in the objective).
  const constant = model.offset !== 0 ? ` ${model.offset < 0 ? '-' : '+'} ${Math.abs(model.offset)}` : '';
  out.push(` obj: ${objCols.length === 0 ? '0 ' + names[0] : lpTerms(names, objCols, objVals, 0, objCols.length)}${constant}`);
  out.push('Subject To');
  for (let i = 0; i < model.numRows; i++) {
    const lo = model.rowLower[i]!;
    const hi = model.rowUpper[i]!;
    const terms = lpTerms(names, model.rowIndex, model.rowValue, model.rowStarts[i]!, model.rowStarts[i + 1]!);
    if (lo === hi) out.push(` r${i}: ${terms} = ${lpNumber(hi)}`);
    else if (lo === -Infinity && hi === Infinity) continue;
    else if (lo === -Infinity) out.push(` r${i}: ${terms} <= ${lpNumber(hi)}`);
    else if (hi === Infinity) out.push(` r${i}: ${terms} >= ${lpNumber(lo)}`);
    else {
      // The LP format has no two-sided rows: write a range as two rows.
      out.push(` r${i}_lo: ${terms} >= ${lpNumber(lo)}`);
      out.push(` r${i}_hi: ${terms} <= ${lpNumber(hi)}`);
    }
  }
  out.push('Bounds');
  for (let j = 0; j < model.numCols; j++) {
    out.push(` ${lpNumber(model.colLower[j]!)} <= ${names[j]!} <= ${lpNumber(model.colUpper[j]!)}`);
  }
  const ints = names.filter((_, j) => model.integer[j] === 1);
  if (ints.length > 0) {
    out.push('Generals');
    for (let k = 0; k < ints.length; k += 8) out.push(' ' + ints.slice(k, k + 8).join(' '));
  }
  out.push('End');
  return out.join('\n') + '\n';
}

/**
 * The outcome of a model without columns (every backend answers it the same way, and some
 * cannot take an empty model): optimal when every row admits activity 0, else infeasible.
 * @param model - a model with `numCols === 0`
 * @returns the outcome's status and objective
 */
export function emptyModelOutcome(model: MipModel): { status: 'optimal'; x: Float64Array; objective: number; bound: number } | { status: 'infeasible' } {
  for (let i = 0; i < model.numRows; i++) if (model.rowLower[i]! > 1e-9 || model.rowUpper[i]! < -1e-9) return { status: 'infeasible' };
  return { status: 'optimal', x: new Float64Array(0), objective: model.offset, bound: model.offset };
}
