/**
 * Tensor methods of the pointwise op table, generated from it: `x.exp()` for every table function `exp(x)`, and the
 * in-place form `x.exp_()` for every entry that has one. Nothing here names an op: adding an entry to
 * lib/ops/pointwise.ts adds its methods, their types included.
 */
import { defineMethods } from '../tensor';
import type { MethodImpls, Tensor } from '../tensor';
import * as table from './pointwise';
import { entryOf, inPlace, opTable } from './elementwise';
import type { NoInPlace } from './elementwise';

type Table = typeof table;
/** The method form of a table function: the same parameters after the tensor itself, the same result type. */
type MethodOf<F> = F extends (x: never, ...rest: infer R) => infer T ? (...rest: R) => T : never;
/** The in-place form: the same parameters; the result is the tensor itself, whatever dtype the op computes. */
type InPlaceMethodOf<F> = F extends (x: never, ...rest: infer R) => Tensor ? (...rest: R) => Tensor : never;

type PointwiseMethods = { [K in keyof Table]: MethodOf<Table[K]> };
type PointwiseInPlaceMethods = { [K in keyof Table as Table[K] extends NoInPlace ? never : `${K & string}_`]: InPlaceMethodOf<Table[K]> };

declare module '../tensor' {
  interface Tensor extends PointwiseMethods, PointwiseInPlaceMethods {}
}

const methods: Record<string, (this: Tensor, ...args: unknown[]) => Tensor> = {};
for (const [name, value] of Object.entries(table)) {
  const entry = entryOf(value);
  if (!entry) throw new Error(`torchlet: lib/ops/pointwise.ts exports '${name}', which is not a table entry`);
  const fn = value as (x: Tensor, ...args: unknown[]) => Tensor;
  methods[name] = function (this: Tensor, ...args: unknown[]) {
    return fn(this, ...args);
  };
  if (entry.inPlace) {
    const run = inPlace(entry.name);
    methods[`${name}_`] = function (this: Tensor, ...args: unknown[]) {
      return run(this, ...args);
    };
  }
}
for (const entry of opTable()) {
  if (!Object.values(table).some((f) => entryOf(f) === entry)) {
    throw new Error(`torchlet: pointwise op '${entry.name}' is registered but not exported from lib/ops/pointwise.ts`);
  }
}
defineMethods(methods as MethodImpls);
