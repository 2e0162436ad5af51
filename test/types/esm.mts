// An ES module consumer: the default import and named imports (the package's "import" condition, dist/index.mjs).
import torch, { nn, tensor, Tensor } from 'torchlet';

const t: Tensor = tensor([[1, 2], [3, 4]]);
const lin = new nn.Linear(2, 2);
const y: Tensor = lin.forward(t);
const n: number = torch.max(y).item();
void n;
// @ts-expect-error Linear takes in and out features as numbers
new nn.Linear('2', 2);
