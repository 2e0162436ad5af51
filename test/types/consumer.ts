// A strict TypeScript consumer of torchlet (CommonJS, `import * as torch`). Compiled by test/types/tsconfig.json;
// never run. Each @ts-expect-error line is a mistake the typings must catch.
import * as torch from 'torchlet';
import type { Tensor } from 'torchlet';

const { nn } = torch;
const x = torch.rand(4, 3);

// ---- item(): a number for float/int tensors, a boolean for the bool results of comparisons and predicates
const loss: number = x.sum().item();
loss.toFixed(4);
const count: number = x.gt(0.5).sum().item();
const anyNaN: boolean = x.isnan().any().item();
const allPositive: boolean = torch.all(x.ge(0)).item();
const same: boolean = torch.eq(x, x).all().item();
const masked: boolean = x.lt(0).logicalOr(x.gt(1)).logicalNot().all().item();
const asBool: boolean = x.bool().any().item();
void [count, anyNaN, allPositive, same, masked, asBool];
// @ts-expect-error a comparison's item() is a boolean
const notNumber: number = x.gt(0).any().item();
// @ts-expect-error a float tensor's item() is a number
const notBoolean: boolean = x.mean().item();
// An in-place comparison keeps the receiver's dtype, so its item() is a number.
const inPlace: number = x.clone().gt_(0.5).sum().item();
void [notNumber, notBoolean, inPlace];

// ---- torch.max / min: the same overloads as the methods
const top: Tensor = torch.max(x);
const { values, indices } = torch.max(x, 1);
const [v, i] = torch.max(x, 1, true);
v.add(i.float());
const byMethod = x.min(0);
byMethod.values.add(values).add(indices.float());
const elementwise: Tensor = torch.max(x, torch.zeros(4, 3));
void [top, elementwise];
// @ts-expect-error torch.max(x) over everything gives a Tensor, not values and indices
torch.max(x).values;
// @ts-expect-error torch.max(x, dim) gives values and indices, not a Tensor
const notTensor: Tensor = torch.max(x, 1);
void notTensor;

// ---- tolist(): nested arrays of numbers, or booleans for bool tensors
const nested = x.tolist();
const rows = nested as number[][];
const first: number | undefined = rows[0]?.[0];
const flags = x.gt(0.5).tolist() as boolean[][];
const scalar = x.sum().tolist();
if (typeof scalar === 'number') scalar.toFixed(2);
void [first, flags];
// @ts-expect-error tolist() of a float tensor holds numbers, not strings
const wrongList: string[][] = x.tolist();
// @ts-expect-error a float tensor's tolist() holds no booleans
const wrongBools: boolean[] = x.tolist() as boolean[];
void [wrongList, wrongBools];

// ---- nn.Module.forward through the base type; ModuleList and Sequential typed by their modules
class Block extends nn.Module {
  fc = new nn.Linear(8, 8);
  override forward(h: Tensor): Tensor {
    return nn.functional.relu(this.fc.forward(h)).add(h);
  }
}

class Net extends nn.Module {
  stem = new nn.Linear(3, 8);
  blocks = new nn.ModuleList([new Block(), new Block()]);
  head = new nn.Sequential(new nn.Linear(8, 4), new nn.ReLU(), new nn.Linear(4, 2));
  override forward(input: Tensor): Tensor {
    let h = this.stem.forward(input);
    for (const b of this.blocks) h = b.forward(h);
    h = this.blocks.at(-1).forward(h);
    for (const layer of this.head) layer.forward(h);
    return this.head.forward(h);
  }
}

const net = new Net();
const out: Tensor = net.forward(x);
const anyModule: torch.nn.Module = net;
// Through the base type forward takes anything and returns any, as PyTorch's Module.__call__ (Callable[..., Any]).
const fromBase: Tensor = anyModule.forward(x);
const classifier: torch.nn.Module & { forward(h: Tensor): Tensor } = net;
const logits: Tensor = classifier.forward(x);
const children: torch.nn.Module[] = net.children();
for (const child of children) child.forward(x);
const list: torch.nn.ModuleList = new nn.ModuleList();
list.append(new nn.Linear(3, 3)).append(new nn.Tanh());
new nn.ModuleList([]).append(new nn.ReLU());
const mixed = new nn.Sequential(new nn.Linear(3, 3), new nn.BatchNorm1d(3), new nn.Dropout(0.5));
const second: torch.nn.Linear | torch.nn.BatchNorm1d | torch.nn.Dropout = mixed.at(1);
const empty = new nn.Sequential();
empty.append(new nn.Linear(3, 3)).append(new nn.Sigmoid());
void second;
let h: Tensor = x;
for (const m of list) h = m.forward(h);
void [out, fromBase, logits];
// @ts-expect-error a ModuleList of Blocks takes only Blocks
net.blocks.append(new nn.Linear(8, 8));
// @ts-expect-error Linear.forward takes a Tensor
new nn.Linear(2, 2).forward('x');
// @ts-expect-error Block.forward takes one Tensor, also when reached through a ModuleList
net.blocks.at(0).forward(x, x);

// ---- DataLoader batches: a TensorDataset of two tensors gives [Tensor, Tensor] batches
const loader = new torch.data.DataLoader(new torch.data.TensorDataset(x, torch.zeros(4)), { batchSize: 2 });
for (const [bx, by] of loader) {
  const both: Tensor = bx.add(by.unsqueeze(1));
  void both;
}
for (const batch of loader) {
  const [bx, by] = batch;
  // @ts-expect-error the batch is a pair, not a triple
  const [, , bz] = batch; // (were batches Tensor[], this would compile)
  void [bx, by, bz];
}
