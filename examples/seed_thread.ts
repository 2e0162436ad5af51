/**
 * The PyTorch forum thread torchlet grew from (shared/seed), replayed: can a layer's weight be the product of
 * two Parameters a @ b, do a and b train, and what happens when a is frozen?
 *   npx ts-node -T examples/seed_thread.ts
 * Every number printed is the number PyTorch prints for the same script with torch.manual_seed(0)
 * (test/examples/seed_thread.test.ts checks them against fixtures written by Debian's python3-torch).
 */
import * as torch from '../dist';
import type { Tensor } from '../dist';

const { nn, optim } = torch;

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

export interface SeedThreadResult {
  parameterOfProduct: CaseResult;
  productInForward: CaseResult;
  frozenA: CaseResult;
  plainTensorError: string;
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
  print('\n(The Conv2d part of the thread arrives with the convolution work.)');
  return { parameterOfProduct, productInForward, frozenA, plainTensorError };
}

if (require.main === module) run();
