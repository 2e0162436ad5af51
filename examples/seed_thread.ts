/**
 * The PyTorch forum thread torchlet grew from, replayed: can a layer's weight be the product of
 * two Parameters a @ b, do a and b train, and what happens when a is frozen?
 *   npx ts-node -T examples/seed_thread.ts
 * Every number printed is the number PyTorch prints for the same script with torch.manual_seed(0)
 * (test/examples/seed_thread.test.ts checks them against fixtures written by Debian's python3-torch).
 */
import * as torch from '../dist';
import type { Tensor } from '../dist';

const { nn, optim } = torch;
const F = nn.functional;

/** Case 1 (and 3): the product wrapped in a new Parameter and assigned to linear.weight. */
class ParameterOfProduct extends nn.Module {
  declare a: torch.nn.Parameter;
  declare b: torch.nn.Parameter;
  declare linear_weights: torch.nn.Parameter;
  declare linear_layer: torch.nn.Linear;

  constructor(freezeA = false) {
    super();
    const A = torch.rand([1, 1]);
    const B = torch.rand([1, 1]);
    const linearLayer = new nn.Linear(1, 1);
    this.a = new nn.Parameter(A, !freezeA);
    this.b = new nn.Parameter(B, true);
    // A new leaf that shares the product's storage: a and b are not in its graph.
    this.linear_weights = new nn.Parameter(torch.matmul(this.a, this.b), true);
    linearLayer.weight = this.linear_weights;
    this.linear_layer = linearLayer;
  }

  forward(x: Tensor): Tensor {
    return this.linear_layer.forward(x);
  }
}

/** Case 2: the product computed inside forward, so a and b are in the graph and train. */
class ProductInForward extends nn.Module {
  declare a: torch.nn.Parameter;
  declare b: torch.nn.Parameter;
  declare linear_layer: torch.nn.Linear;

  constructor() {
    super();
    this.a = new nn.Parameter(torch.rand([1, 1]));
    this.b = new nn.Parameter(torch.rand([1, 1]));
    this.linear_layer = new nn.Linear(1, 1);
  }

  forward(x: Tensor): Tensor {
    return torch.matmul(this.a, this.b).mul(x);
  }
}

export interface CaseResult {
  names: string[];
  before: Record<string, number[]>;
  after: Record<string, number[]>;
  yPred: number[];
  loss: number;
  yPredText: string;
  lossText: string;
}

function flat(sd: Map<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries([...sd].map(([k, v]) => [k, v.reshape([-1]).tolist() as number[]]));
}

/** PyTorch's way of printing a state dict: OrderedDict([('a', tensor([[0.4963]])), ...]) */
function orderedDict(sd: Map<string, Tensor>): string {
  const items = [...sd].map(([k, v]) => `('${k}', ${v.toString()})`);
  return `OrderedDict([${items.join(',\n             ')}])`;
}

function runCase(title: string, make: () => torch.nn.Module & { forward(x: Tensor): Tensor }, print: (s: string) => void): CaseResult {
  print(`\n== ${title}`);
  torch.manualSeed(0);
  const model = make();
  const x = torch.tensor([1, 3, 3]).unsqueeze(1); // [[1.], [3.], [3.]]
  const y = x.mul(2);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
  // State dict values share storage with the parameters (as in PyTorch): read them before the step.
  const before = flat(model.stateDict());
  print(orderedDict(model.stateDict()));
  const names = model.namedParameters().map(([n]) => n);
  print(`named_parameters: ${JSON.stringify(names)}`);
  const yPred = model.forward(x);
  const loss = y.sub(yPred).abs().mean(); // mean absolute error
  print(`y_pred = ${yPred}`);
  print(`loss = ${loss}`);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  print('after one Adam step:');
  print(orderedDict(model.stateDict()));
  return {
    names,
    before,
    after: flat(model.stateDict()),
    yPred: yPred.reshape([-1]).tolist() as number[],
    loss: loss.item() as number,
    yPredText: yPred.toString(),
    lossText: loss.toString(),
  };
}

/**
 * The thread's Conv2d follow-up: the weight is a @ b with a [outC, inC, kh, r] and b [r, kw], computed in forward
 * and passed to convForward (PyTorch's _conv_forward), so a and b train. mode 'newParameter' wraps the product
 * in a new Parameter in forward instead (a and b then stay as they were); mode 'plain' assigns the bare product
 * to this.weight, which throws the TypeError.
 */
class FactorizedConv2d extends nn.Conv2d {
  declare a: torch.nn.Parameter;
  declare b: torch.nn.Parameter;

  constructor(inChannels: number, outChannels: number, kernelSize: [number, number], readonly mode: 'productInForward' | 'newParameter' | 'plain') {
    super(inChannels, outChannels, kernelSize);
    const [filterSize, embDim] = kernelSize;
    const intermediateDim = 7;
    this.a = new nn.Parameter(torch.rand([outChannels, inChannels, filterSize, intermediateDim]));
    this.b = new nn.Parameter(torch.rand([intermediateDim, embDim]));
  }

  override forward(input: Tensor): Tensor {
    if (this.mode === 'plain') this.weight = torch.matmul(this.a, this.b) as torch.nn.Parameter; // throws
    if (this.mode === 'newParameter') {
      this.weight = new nn.Parameter(torch.matmul(this.a, this.b));
      return this.convForward(input, this.weight, this.bias);
    }
    return this.convForward(input, torch.matmul(this.a, this.b), this.bias);
  }
}

export interface ConvCaseResult {
  names: string[];
  before: Record<string, number[]>;
  after?: Record<string, number[]>;
  loss?: number;
  yPred?: number[];
  error?: string;
}

function runConvCase(mode: FactorizedConv2d['mode'], print: (s: string) => void): ConvCaseResult {
  torch.manualSeed(0);
  const [inChannels, nFilters, embDim, filterSize, nLabels, bs, slen] = [1, 2, 7, 3, 3, 5, 6];
  const model = new FactorizedConv2d(inChannels, nFilters, [filterSize, embDim], mode);
  const predLayer = new nn.Linear(nFilters, nLabels);
  let x = torch.rand([bs, slen, embDim]);
  const y = torch.empty([bs], { dtype: 'int64' }).random_(nLabels);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const before = flat(model.stateDict());
  const names = model.namedParameters().map(([n]) => n);
  optimizer.zeroGrad();
  x = x.unsqueeze(1);
  let conved: Tensor;
  try {
    conved = model.forward(x);
  } catch (e) {
    const error = `${(e as Error).name}: ${(e as Error).message}`;
    print(error);
    return { names, before, error };
  }
  conved = F.relu(conved).squeeze(3);
  const pooled = F.dropout((F.maxPool1d(conved, conved.shape[2]!) as Tensor).squeeze(2), 0.1);
  const yPred = predLayer.forward(pooled);
  const loss = F.crossEntropy(yPred, y);
  print(`loss = ${loss}`);
  loss.backward();
  optimizer.step();
  const after = flat(model.stateDict());
  for (const k of ['a', 'b', 'weight']) {
    const changed = after[k]!.some((v, i) => v !== before[k]![i]);
    print(`${k}: ${changed ? 'changed' : 'unchanged'} after one Adam step`);
  }
  return { names, before, after, loss: loss.item() as number, yPred: yPred.reshape([-1]).tolist() as number[] };
}

export interface SeedThreadResult {
  parameterOfProduct: CaseResult;
  productInForward: CaseResult;
  frozenA: CaseResult;
  plainTensorError: string;
  conv: Record<FactorizedConv2d['mode'], ConvCaseResult>;
}

/** Replays the thread, printing as it goes; returns the numbers for the test. */
export function run(print: (s: string) => void = console.log): SeedThreadResult {
  const parameterOfProduct = runCase(
    '1. linear.weight = Parameter(matmul(a, b)): a new leaf; a and b do not change, weight and bias do',
    () => new ParameterOfProduct(),
    print,
  );
  const productInForward = runCase('2. matmul(a, b) inside forward: a and b are in the graph and change', () => new ProductInForward(), print);
  const frozenA = runCase('3. a created with requiresGrad false: it stays frozen', () => new ParameterOfProduct(true), print);

  print('\n== 4. assigning the plain product to a registered Parameter slot');
  torch.manualSeed(0);
  const lin = new nn.Linear(1, 1);
  let plainTensorError = '';
  try {
    lin.weight = torch.matmul(torch.rand([1, 1]), torch.rand([1, 1])) as torch.nn.Parameter;
  } catch (e) {
    plainTensorError = `${(e as Error).name}: ${(e as Error).message}`;
  }
  print(plainTensorError);
  print('\n== 5. Conv2d with the weight a @ b computed in forward: a and b train');
  const convProduct = runConvCase('productInForward', print);
  print('\n== 6. Conv2d assigning a new Parameter(a @ b) in forward: a and b do not train');
  const convNewParameter = runConvCase('newParameter', print);
  print('\n== 7. Conv2d assigning the plain product to this.weight in forward');
  const convPlain = runConvCase('plain', print);
  return {
    parameterOfProduct, productInForward, frozenA, plainTensorError,
    conv: { productInForward: convProduct, newParameter: convNewParameter, plain: convPlain },
  };
}

if (require.main === module) run();
