/**
 * The differential tester: a few thousand random programs (scripts/gen_diff_programs.py, `npm run fixtures:diff`)
 * replayed through torchlet and compared with PyTorch on values, shapes, dtypes, requiresGrad, gradients, double
 * gradients and errors. Disagreements are grouped into classes (`op:kind`); a class not in KNOWN fails the test.
 */
import * as pointwise from '../../lib/ops/pointwise';
import { loadFixture } from '../helpers/fixtures';
import { replay } from './replay';
import type { Disagreement, Program } from './replay';

/**
 * Disagreements already reported (issue 10's list), each naming its item. Remove an entry when its fix merges:
 * the test then guards against the class coming back.
 */
const KNOWN: Record<string, string> = {
};

const fixture = loadFixture<never>('diff_programs.json') as unknown as { torch: string; seed: number; programs: Program[] };
const TABLE = new Set(Object.keys(pointwise));

interface ClassReport {
  count: number;
  example: Program;
  detail: string;
  size: number;
}

/** A program's size, to show the smallest example of each class. */
const sizeOf = (p: Program): number => p.ops.length * 1000 + p.inputs.reduce((s, i) => s + i.data.length, 0);

const classes = new Map<string, ClassReport>();
for (const p of fixture.programs) {
  let found: Disagreement[];
  try {
    found = replay(p, TABLE);
  } catch (e) {
    found = [{ key: 'replay:crash', detail: String((e as Error).stack ?? e) }];
  }
  for (const d of found) {
    const c = classes.get(d.key);
    if (!c) classes.set(d.key, { count: 1, example: p, detail: d.detail, size: sizeOf(p) });
    else {
      c.count++;
      if (sizeOf(p) < c.size) Object.assign(c, { example: p, detail: d.detail, size: sizeOf(p) });
    }
  }
}

const describeClass = (key: string, c: ClassReport): string =>
  `${key} (${c.count} programs): ${c.detail}\n    program ${c.example.id}: ${JSON.stringify({ inputs: c.example.inputs, ops: c.example.ops })}`;

describe(`random programs against PyTorch ${fixture.torch} (seed ${fixture.seed}, ${fixture.programs.length} programs)`, () => {
  test('every export of the pointwise op table is exercised, in place too where it has that form', () => {
    const seen = new Set(fixture.programs.flatMap((p) => p.ops.map((o) => o.op)));
    const missing = [...TABLE].filter((name) => !seen.has(name));
    expect(missing).toEqual([]);
  });

  test('no disagreement outside the known list', () => {
    const sorted = [...classes.entries()].sort((a, b) => b[1].count - a[1].count);
    const summary = sorted.map(([k, c]) => `${String(c.count).padStart(5)}  ${k}${KNOWN[k] ? `  [known: ${KNOWN[k]}]` : ''}`).join('\n');
    const stale = Object.keys(KNOWN).filter((k) => !classes.has(k));
    console.log(
      `differential: ${fixture.programs.length} programs, ${classes.size} classes of disagreement\n${summary}` +
        (stale.length ? `\nknown classes no longer seen (remove them from KNOWN): ${stale.join(', ')}` : ''),
    );
    const fresh = sorted.filter(([k]) => !KNOWN[k]);
    if (fresh.length) {
      throw new Error(`${fresh.length} new classes of disagreement with PyTorch:\n${fresh.slice(0, process.env.DIFF_ALL ? undefined : 15).map(([k, c]) => describeClass(k, c)).join('\n')}`);
    }
  });
});
