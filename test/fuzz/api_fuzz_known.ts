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
  // ---- lib/optim (constructors of the base classes)
  // generic: TypeError: params is not iterable (#815)
  'optim.Optimizer': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'some') (#325)
  'optim.lrScheduler.LRScheduler': ['generic'],
  // ---- lib/autograd/grad.ts
  // generic: TypeError: tensors is not iterable (#131)
  'autograd.backward': ['generic'],
  // generic: TypeError: outputs is not iterable (#132)
  'autograd.grad': ['generic'],
  // ---- lib/autograd/grad_mode.ts
  // generic: TypeError: fn is not a function (#31)
  'torch.enableGrad': ['generic'],
  // generic: TypeError: fn is not a function (#79)
  'torch.noGrad': ['generic'],
  // ---- lib/autograd/gradcheck.ts
  // generic: TypeError: Cannot convert a Symbol value to a string (#25974)
  'autograd.GradcheckError': ['generic'],
  // generic: TypeError: inputs is not iterable (#75677)
  'autograd.gradcheck': ['generic'],
  // ---- lib/ops/creation.ts
  // generic: TypeError: Cannot convert a Symbol value to a string (#1504)
  'torch.arange': ['generic'],
  // generic: TypeError: Cannot read properties of null (reading 'dtype') (#144160)
  'torch.emptyLike': ['generic'],
  // generic: TypeError: shape is not iterable (#1034)
  'torch.full': ['generic'],
  // generic: TypeError: Cannot convert object to primitive value (#244565)
  'torch.fullLike': ['generic'],
  // generic: TypeError: Cannot convert a Symbol value to a number (#86037)
  'torch.linspace': ['generic'],
  // generic: TypeError: Cannot read properties of null (reading 'dtype') (#4554)
  'torch.onesLike': ['generic'],
  // generic: TypeError: Cannot read properties of null (reading 'dtype') (#33917)
  'torch.tensor': ['generic'],
  // generic: TypeError: Cannot read properties of null (reading 'dtype') (#37404)
  'torch.zerosLike': ['generic'],
  // ---- lib/ops/indexing.ts
  // internal: RangeError: torchlet.native.gather: index N is out of bounds for dimension N with size N (#361703)
  'Tensor#gather': ['internal'],
  // ---- lib/ops/movement.ts
  // generic: TypeError: Cannot convert a Symbol value to a string (#6313)
  'Tensor#chunk': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'shape') (#1368)
  'Tensor#expandAs': ['generic'],
  // generic: TypeError: Cannot convert object to primitive value (#35179)
  // internal: RangeError: torchlet.native.gather: index N is out of bounds for dimension N with size N (#47604)
  'Tensor#index': ['generic', 'internal'],
  // generic: TypeError: Cannot read properties of undefined (reading 'shape') (#449)
  'Tensor#reshapeAs': ['generic'],
  // generic: TypeError: splitSize is not iterable (#467)
  'Tensor#split': ['generic'],
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#22346)
  'Tensor#sumToSize': ['internal'],
  // generic: TypeError: shape is not iterable (#5956)
  'Tensor#unflatten': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'shape') (#4470)
  'Tensor#viewAs': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'length') (#3994)
  'torch.broadcastTo': ['generic'],
  // generic: TypeError: x.dim is not a function (#22387)
  'torch.chunk': ['generic'],
  // generic: TypeError: x.dim is not a function (#573)
  'torch.narrow': ['generic'],
  // generic: TypeError: x.dim is not a function (#102)
  'torch.select': ['generic'],
  // generic: TypeError: splitSize is not iterable (#4584)
  'torch.split': ['generic'],
  // generic: TypeError: x.dim is not a function (#611)
  'torch.squeeze': ['generic'],
  // generic: TypeError: x.dim is not a function (#1113)
  'torch.t': ['generic'],
  // generic: TypeError: x.dim is not a function (#125)
  'torch.unsqueeze': ['generic'],
  // ---- lib/ops/reduce.ts
  // generic: TypeError: dims is not iterable (#338)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#42086)
  'Tensor#amax': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#339)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#21213)
  'Tensor#amin': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#341)
  // internal: TypeError: torchlet.native.reduce: 'indices' is required for this op (#87813)
  'Tensor#argmax': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#839)
  // internal: TypeError: torchlet.native.reduce: 'indices' is required for this op (#1336)
  'Tensor#argmin': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#3396)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#31725)
  'Tensor#logsumexp': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#8868)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#128148)
  'Tensor#max': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#422)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#250413)
  'Tensor#mean': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#5393)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#36704)
  'Tensor#min': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#3421)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#74989)
  'Tensor#prod': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#473)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#61107)
  'Tensor#std': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#2962)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#73536)
  'Tensor#sum': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#492)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#34288)
  'Tensor#var': ['generic', 'internal'],
  // generic: TypeError: x.logSoftmax is not a function (#283)
  'nn.functional.logSoftmax': ['generic'],
  // generic: TypeError: x.softmax is not a function (#293)
  'nn.functional.softmax': ['generic'],
  // generic: TypeError: dims is not iterable (#507)
  // internal: TypeError: torchlet.native.reduce: expected a number for 'op' but received undefined (#12435)
  'torch.amax': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#1502)
  'torch.amin': ['generic'],
  // generic: TypeError: dims is not iterable (#2996)
  'torch.argmax': ['generic'],
  // generic: TypeError: dims is not iterable (#2500)
  'torch.argmin': ['generic'],
  // generic: TypeError: dims is not iterable (#13981)
  'torch.logsumexp': ['generic'],
  // generic: TypeError: x.maximum is not a function (#69)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#332562)
  'torch.max': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#16472)
  'torch.mean': ['generic'],
  // generic: TypeError: x.minimum is not a function (#2060)
  'torch.min': ['generic'],
  // generic: TypeError: dims is not iterable (#4557)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#269955)
  'torch.prod': ['generic', 'internal'],
  // generic: TypeError: dims is not iterable (#18505)
  'torch.std': ['generic'],
  // generic: TypeError: dims is not iterable (#1112)
  'torch.sum': ['generic'],
  // generic: TypeError: dims is not iterable (#623)
  // internal: TypeError: torchlet.native.reduce: 'out' is required for this op (#234213)
  'torch.var': ['generic', 'internal'],
  // ---- lib/optim/algorithms.ts
  // generic: TypeError: params is not iterable (#310)
  'optim.Adagrad': ['generic'],
  // generic: TypeError: params is not iterable (#316)
  'optim.Adam': ['generic'],
  // generic: TypeError: params is not iterable (#814)
  'optim.AdamW': ['generic'],
  // generic: TypeError: params is not iterable (#319)
  'optim.RMSprop': ['generic'],
  // ---- lib/optim/lr_scheduler.ts
  // generic: TypeError: groups is not iterable (#321)
  'optim.lrScheduler.CosineAnnealingLR': ['generic'],
  // generic: TypeError: groups is not iterable (#1318)
  'optim.lrScheduler.ExponentialLR': ['generic'],
  // generic: TypeError: groups is not iterable (#326)
  'optim.lrScheduler.LinearLR': ['generic'],
  // generic: TypeError: groups is not iterable (#327)
  'optim.lrScheduler.MultiStepLR': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'length') (#329)
  'optim.lrScheduler.ReduceLROnPlateau': ['generic'],
  // generic: TypeError: Cannot convert object to primitive value (#111659)
  'optim.lrScheduler.ReduceLROnPlateau#step': ['generic'],
  // generic: TypeError: groups is not iterable (#332)
  'optim.lrScheduler.StepLR': ['generic'],
  // ---- lib/optim/optimizer.ts
  // generic: TypeError: group.params is not iterable (#311)
  'optim.Optimizer#addParamGroup': ['generic'],
  // generic: TypeError: Cannot read properties of undefined (reading 'length') (#312)
  'optim.Optimizer#loadStateDict': ['generic'],
  // generic: TypeError: closure is not a function (#314)
  'optim.Optimizer#step': ['generic'],
  // ---- lib/serialization.ts
  // generic: TypeError: The "path" argument must be of type string or an instance of Buffer or URL. Received an instance of Tensor (#554)
  // hang: no progress in 20000 ms (#9003)
  'torch.load': ['generic', 'hang'],
  // generic: TypeError: Cannot convert undefined or null to object (#5566)
  'torch.save': ['generic'],
};
