import type { Outcome } from './api_fuzz_core';

/**
 * Entry points that still end in a generic JS message, an internal torchlet.native.* one, or a hang, for some
 * arguments: the test lets these outcomes (and only these) pass for them while their owners fix them. Grouped by
 * the file that has to change; each comment gives one message the fuzzer saw (numbers masked as N) and the call
 * index that replays it (TORCHLET_FUZZ_ONLY=<index> npm run fuzz, TORCHLET_FUZZ_SHOW_ARGS=1 prints the arguments).
 * Remove an entry when it is fixed: the test prints entries that no longer fail. Generated from a 400,000-call
 * run with seed 1 (`TORCHLET_FUZZ_CALLS=400000 npm run fuzz`).
 */
export const KNOWN_FAILING: Readonly<Record<string, readonly Outcome[]>> = {
  // ---- lib/nn/functional.ts
  // generic: TypeError: runningMean.view is not a function (#9707)
  'nn.functional.batchNorm': ['generic'],
  // generic: TypeError: Cannot convert object to primitive value (#257717)
  'nn.functional.dropout': ['generic'],
  // generic: TypeError: Cannot convert a Symbol value to a number (#52457)
  // internal: RangeError: torchlet.native.rngBernoulli: expected an integer in [N, N] for 'n' but received nan (#112097)
  'nn.functional.dropout2d': ['generic', 'internal'],
  // generic: TypeError: x.gt is not a function (#770)
  'nn.functional.elu': ['generic'],
  // internal: RangeError: torchlet.native.gather: index N is out of bounds for dimension N with size N (#17669)
  'nn.functional.embedding': ['internal'],
  // generic: TypeError: x.mul is not a function (#4748)
  'nn.functional.gelu': ['generic'],
  // generic: TypeError: Cannot convert object to primitive value (#66874)
  'nn.functional.groupNorm': ['generic'],
  // generic: TypeError: shape.join is not a function (#2268)
  'nn.functional.layerNorm': ['generic'],
  // generic: TypeError: x.sigmoid is not a function (#788)
  'nn.functional.silu': ['generic'],
  // generic: TypeError: x.mul is not a function (#1288)
  'nn.functional.softplus': ['generic'],
  // ---- lib/nn/functional.ts and lib/ops/reduce.ts (softmax), through a module's forward, which passes its input on unchecked
  // generic: TypeError: x.gt is not a function (#193)
  'nn.ELU#forward': ['generic'],
  // generic: TypeError: x.mul is not a function (#202)
  'nn.GELU#forward': ['generic'],
  // generic: TypeError: x.logSoftmax is not a function (#221)
  'nn.LogSoftmax#forward': ['generic'],
  // generic: TypeError: x.sigmoid is not a function (#743)
  'nn.SiLU#forward': ['generic'],
  // generic: TypeError: x.softmax is not a function (#251)
  'nn.Softmax#forward': ['generic'],
  // generic: TypeError: x.mul is not a function (#254)
  'nn.Softplus#forward': ['generic'],
  // internal: RangeError: torchlet.native.rngBernoulli: expected an integer in [N, N] for 'n' but received nan (#12118)
  'nn.Dropout2d#forward': ['internal'],
  // ---- lib/nn/modules/conv.ts
  // generic: TypeError: Cannot convert object to primitive value (#95597)
  'nn.Conv1d': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'N') (#1172)
  'nn.Conv2d': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'N') (#1176)
  'nn.ConvTranspose2d': ['generic'],
  // ---- lib/nn/modules/module.ts
  // generic: TypeError: fn is not a function (#138)
  'nn.Module#apply': ['generic'],
  // generic: TypeError: Cannot convert undefined or null to object (#6110)
  'nn.Module#loadStateDict': ['generic'],
  // generic: TypeError: registry is not a function or its return value is not iterable (#150)
  'nn.Module#namedMembers': ['generic'],
  // generic: TypeError: memo.has is not a function (#151)
  'nn.Module#namedModules': ['generic'],
  // generic: TypeError: Cannot convert a Symbol value to a string (#23016)
  'nn.Module#registerBuffer': ['generic'],
  // generic: TypeError: Do not know how to serialize a BigInt (#54826)
  'nn.Module#registerParameter': ['generic'],
  // ---- lib/nn/modules/sparse.ts
  // generic: TypeError: Cannot convert object to primitive value (#1685)
  // internal: RangeError: torchlet.native.rngNormal: expected an integer in [N, N] for 'n' but received nan (#194)
  'nn.Embedding': ['generic', 'internal'],
  // internal: RangeError: torchlet.native.gather: index N is out of bounds for dimension N with size N (#17094)
  'nn.Embedding#forward': ['internal'],
  // ---- lib/ops/conv.ts
  // generic: TypeError: Cannot read properties of undefined (reading 'length') (#2276)
  'nn.functional.pad': ['generic'],
  // ---- lib/ops/pool.ts
  // generic: TypeError: outputSize is not iterable (#5230)
  'nn.functional.adaptiveAvgPool2d': ['generic'],
  // generic: TypeError: outputSize is not iterable (#38530)
  'nn.functional.adaptiveMaxPool2d': ['generic'],
  // generic: TypeError: Do not know how to serialize a BigInt (#118051)
  'nn.functional.avgPool1d': ['generic'],
  // generic: TypeError: Do not know how to serialize a BigInt (#343712)
  'nn.functional.maxPool2d': ['generic'],
  // ---- lib/ops/reduce.ts
  // generic: TypeError: x.logSoftmax is not a function (#283)
  'nn.functional.logSoftmax': ['generic'],
  // generic: TypeError: x.softmax is not a function (#293)
  'nn.functional.softmax': ['generic'],
};
