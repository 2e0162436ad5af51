/** The models of scripts/gen_ddp_fixtures.py, for the DDP workers and the single-process references. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';

const { nn } = torch;
const F = nn.functional;

export const FEATURES = 8;
export const CLASSES = 3;

export class MLP extends nn.Module {
  fc1 = new nn.Linear(FEATURES, 32);
  fc2 = new nn.Linear(32, 16);
  fc3 = new nn.Linear(16, CLASSES);
  forward(x: Tensor): Tensor {
    return this.fc3.forward(F.relu(this.fc2.forward(F.relu(this.fc1.forward(x)))));
  }
}

/** fcRank0 is used on rank 0 only; never by no rank. */
export class Branchy extends nn.Module {
  fc1 = new nn.Linear(FEATURES, 16);
  fc_rank0 = new nn.Linear(16, 16);
  never = new nn.Linear(16, 16);
  fc2 = new nn.Linear(16, CLASSES);
  constructor(readonly rank: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    let h = F.relu(this.fc1.forward(x));
    if (this.rank === 0) h = F.relu(this.fc_rank0.forward(h));
    return this.fc2.forward(h);
  }
}

export class Normed extends nn.Module {
  fc1 = new nn.Linear(FEATURES, 16);
  bn = new nn.BatchNorm1d(16);
  fc2 = new nn.Linear(16, CLASSES);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.relu(this.bn.forward(this.fc1.forward(x))));
  }
}

export class Unused extends nn.Module {
  fc1 = new nn.Linear(FEATURES, 16);
  unused = new nn.Linear(16, 16);
  fc2 = new nn.Linear(16, CLASSES);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

/** With fc2.weight of 300,000 floats (1.2 MB): the default buckets (1 MB first, then 25 MB) make two. */
export class Big extends nn.Module {
  fc1 = new nn.Linear(20, 600);
  fc2 = new nn.Linear(600, 500);
  fc3 = new nn.Linear(500, CLASSES);
  forward(x: Tensor): Tensor {
    return this.fc3.forward(F.relu(this.fc2.forward(F.relu(this.fc1.forward(x)))));
  }
}

export function makeModel(name: string, rank: number): torch.nn.Module & { forward(x: Tensor): Tensor } {
  if (name === 'MLP') return new MLP();
  if (name === 'Branchy') return new Branchy(rank);
  if (name === 'Normed') return new Normed();
  if (name === 'Unused') return new Unused();
  if (name === 'Big') return new Big();
  throw new Error(`unknown model ${name}`);
}
