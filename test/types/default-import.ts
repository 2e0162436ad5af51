// `import torch from 'torchlet'` in a CommonJS consumer (module node16, no esModuleInterop needed: the package has
// a real default export).
import torch from 'torchlet';
import * as ns from 'torchlet';

const t: ns.Tensor = torch.tensor([1, 2, 3]);
const same: boolean = torch.tensor === ns.tensor && torch.nn.Linear === ns.nn.Linear;
const total: number = torch.sum(t).item();
void [same, total];
// @ts-expect-error the default export has the module's members only
torch.notAnExport();
