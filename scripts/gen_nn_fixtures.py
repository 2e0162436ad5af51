#!/usr/bin/env python3
"""Writes test/fixtures/nn.json and optim.json from Debian's python3-torch: seeded initialisation bits, layer and
loss values and gradients, optimizer trajectories and learning-rate schedules. Run: npm run fixtures."""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_fixtures import OUT, dump_tensor, enc

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(7)
# The float64 cases draw from their own generator, so adding them leaves every earlier case's numbers as they were.
gen64 = torch.Generator().manual_seed(64)


def randn(*s):
    return torch.randn(*s, generator=gen)


def randn64(*s):
    return torch.randn(*s, generator=gen64, dtype=torch.float64)


def named(module):
    return {k: dump_tensor(v) for k, v in module.state_dict().items()}


# ---- default initialisation ---------------------------------------------------------------------------------
inits = []
for seed, (fi, fo) in [(0, (1, 1)), (1, (27, 5)), (2, (400, 3)), (3, (784, 16)), (4, (3, 0))]:
    torch.manual_seed(seed)
    inits.append({'kind': 'Linear', 'seed': seed, 'args': [fi, fo], 'state': named(nn.Linear(fi, fo))})
torch.manual_seed(5)
inits.append({'kind': 'Bilinear', 'seed': 5, 'args': [3, 4, 2], 'state': named(nn.Bilinear(3, 4, 2))})
torch.manual_seed(6)
inits.append({'kind': 'Embedding', 'seed': 6, 'args': [6, 3, 1], 'state': named(nn.Embedding(6, 3, padding_idx=1))})
torch.manual_seed(7)
inits.append({'kind': 'LayerNorm', 'seed': 7, 'args': [5], 'state': named(nn.LayerNorm(5))})

init_fns = []
for name, fn in [
    ('uniform_', lambda t: nn.init.uniform_(t, -0.3, 0.7)),
    ('normal_', lambda t: nn.init.normal_(t, 0.5, 2.0)),
    ('xavierUniform_', lambda t: nn.init.xavier_uniform_(t, gain=1.5)),
    ('xavierNormal_', lambda t: nn.init.xavier_normal_(t)),
    ('kaimingUniform_', lambda t: nn.init.kaiming_uniform_(t, mode='fan_out', nonlinearity='relu')),
    ('kaimingNormal_', lambda t: nn.init.kaiming_normal_(t, a=0.1)),
    ('constant_', lambda t: nn.init.constant_(t, 0.25)),
]:
    torch.manual_seed(11)
    init_fns.append({'name': name, 'out': dump_tensor(fn(torch.empty(5, 7)))})
gains = {k: nn.init.calculate_gain(k) for k in ['linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu', 'conv2d']}
gains['leaky_relu 0.2'] = nn.init.calculate_gain('leaky_relu', 0.2)

# ---- layers and functions: forward and gradients ----------------------------------------------------------
layers = []


def layer_case(name, seed, build, inputs, default=None):
    """default='float64': the layer is built under torch.set_default_dtype(torch.float64), its inputs are float64."""
    if default:
        torch.set_default_dtype(torch.float64)
        inputs = [x.double() if x.is_floating_point() else x for x in inputs]
    torch.manual_seed(seed)
    m = build()
    xs = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = m(*xs)
    up = randn64(*out.shape) if default else randn(*out.shape)
    out.backward(up)
    torch.set_default_dtype(torch.float32)
    layers.append({
        'name': name, 'seed': seed, **({'default': default} if default else {}),
        'inputs': [dump_tensor(x) for x in inputs], 'upstream': dump_tensor(up), 'out': dump_tensor(out),
        'inputGrads': [dump_tensor(x.grad) if x.grad is not None else None for x in xs],
        'paramGrads': {k: dump_tensor(p.grad) for k, p in m.named_parameters()},
    })


layer_case('Linear', 0, lambda: nn.Linear(5, 3), [randn(4, 5)])
layer_case('Linear 3-D input', 1, lambda: nn.Linear(5, 3), [randn(2, 4, 5)])
layer_case('Linear no bias', 2, lambda: nn.Linear(5, 3, bias=False), [randn(4, 5)])
layer_case('Bilinear', 3, lambda: nn.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4)])
layer_case('Embedding padding', 4, lambda: nn.Embedding(6, 3, padding_idx=1), [torch.tensor([[0, 1, 5], [1, 2, 2]])])
layer_case('LayerNorm', 5, lambda: nn.LayerNorm(5), [randn(3, 5)])
layer_case('LayerNorm 2 dims', 6, lambda: nn.LayerNorm([2, 3]), [randn(4, 2, 3)])
layer_case('ReLU', 0, lambda: nn.ReLU(), [randn(3, 4)])
layer_case('LeakyReLU', 0, lambda: nn.LeakyReLU(0.2), [randn(3, 4)])
layer_case('ELU', 0, lambda: nn.ELU(), [randn(3, 4)])
layer_case('GELU', 0, lambda: nn.GELU(), [randn(3, 4)])
layer_case('GELU tanh', 0, lambda: nn.GELU('tanh'), [randn(3, 4)])
layer_case('SiLU', 0, lambda: nn.SiLU(), [randn(3, 4)])
layer_case('Sigmoid', 0, lambda: nn.Sigmoid(), [randn(3, 4)])
layer_case('Tanh', 0, lambda: nn.Tanh(), [randn(3, 4)])
layer_case('Softplus', 0, lambda: nn.Softplus(2, 1), [randn(3, 4)])
layer_case('Softmax', 0, lambda: nn.Softmax(1), [randn(3, 4)])
layer_case('LogSoftmax', 0, lambda: nn.LogSoftmax(0), [randn(3, 4)])
layer_case('Dropout', 8, lambda: nn.Dropout(0.3), [randn(4, 5)])
layer_case('Dropout 40 elements', 9, lambda: nn.Dropout(0.5), [randn(40)])
layer_case('Flatten', 0, lambda: nn.Flatten(), [randn(2, 3, 4)])
layer_case('Unflatten', 0, lambda: nn.Unflatten(1, (2, 2)), [randn(3, 4)])
layer_case('Sequential MLP', 10, lambda: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)), [randn(5, 4)])
# float64 layers: initialised from PyTorch's float64 random streams, computed in double.
for name, seed, make, inputs in [
    ('Linear', 0, lambda: nn.Linear(5, 3), [randn64(4, 5)]),
    ('Bilinear', 3, lambda: nn.Bilinear(3, 4, 2), [randn64(5, 3), randn64(5, 4)]),
    ('Embedding padding', 4, lambda: nn.Embedding(6, 3, padding_idx=1), [torch.tensor([[0, 1, 5], [1, 2, 2]])]),
    ('LayerNorm', 5, lambda: nn.LayerNorm(5), [randn64(3, 5)]),
    ('GELU', 0, lambda: nn.GELU(), [randn64(3, 4)]),
    ('GELU tanh', 0, lambda: nn.GELU('tanh'), [randn64(3, 4)]),
    ('Softplus', 0, lambda: nn.Softplus(2, 1), [randn64(3, 4)]),
    ('LogSoftmax', 0, lambda: nn.LogSoftmax(0), [randn64(3, 4)]),
    ('Dropout 40 elements', 9, lambda: nn.Dropout(0.5), [randn64(40)]),
    ('Sequential MLP', 10, lambda: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)), [randn64(5, 4)]),
]:
    layer_case(f'{name} float64', seed, make, inputs, default='float64')

# ---- losses ---------------------------------------------------------------------------------------------------
losses = []


def loss_case(name, fn, inp, target, kwargs):
    x = inp.clone().requires_grad_()
    out = fn(x, target, **kwargs)
    out.backward(torch.ones_like(out) if out.dim() else None)
    losses.append({'name': name, 'fn': fn.__name__, 'input': dump_tensor(inp), 'target': dump_tensor(target),
                   'kwargs': {k: (dump_tensor(v) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()},
                   'out': dump_tensor(out), 'grad': dump_tensor(x.grad)})


a, b = randn(4, 3), randn(4, 3)
for red in ['mean', 'sum', 'none']:
    loss_case(f'l1 {red}', F.l1_loss, a, b, {'reduction': red})
    loss_case(f'mse {red}', F.mse_loss, a, b, {'reduction': red})
    loss_case(f'smoothL1 {red}', F.smooth_l1_loss, a * 2, b, {'reduction': red, 'beta': 0.5})
    loss_case(f'huber {red}', F.huber_loss, a * 2, b, {'reduction': red, 'delta': 0.7})
logits = randn(6, 5)
target = torch.tensor([0, 4, 2, 2, 1, 3])
w = torch.rand(5, generator=gen) + 0.5
for red in ['mean', 'sum', 'none']:
    loss_case(f'crossEntropy {red}', F.cross_entropy, logits, target, {'reduction': red})
    loss_case(f'crossEntropy weight {red}', F.cross_entropy, logits, target, {'reduction': red, 'weight': w})
    loss_case(f'crossEntropy ignore {red}', F.cross_entropy, logits, torch.tensor([0, -100, 2, 2, -100, 3]), {'reduction': red})
    loss_case(f'crossEntropy smoothing {red}', F.cross_entropy, logits, target, {'reduction': red, 'label_smoothing': 0.1})
    loss_case(f'crossEntropy smoothing weight ignore {red}', F.cross_entropy, logits, torch.tensor([0, 4, -100, 2, 1, 3]),
              {'reduction': red, 'label_smoothing': 0.2, 'weight': w})
    loss_case(f'nll {red}', F.nll_loss, F.log_softmax(logits, 1).detach(), target, {'reduction': red, 'weight': w})
probs = torch.softmax(randn(6, 5), 1)
loss_case('crossEntropy probabilities', F.cross_entropy, logits, probs, {})
loss_case('crossEntropy probabilities smoothing weight', F.cross_entropy, logits, probs, {'label_smoothing': 0.1, 'weight': w})
loss_case('crossEntropy 4-D', F.cross_entropy, randn(2, 3, 2, 2), torch.randint(0, 3, (2, 2, 2), generator=gen), {})
p = torch.sigmoid(randn(4, 3))
y = (torch.rand(4, 3, generator=gen) > 0.5).float()
for red in ['mean', 'sum', 'none']:
    loss_case(f'bce {red}', F.binary_cross_entropy, p, y, {'reduction': red})
    loss_case(f'bceWithLogits {red}', F.binary_cross_entropy_with_logits, randn(4, 3) * 3, y, {'reduction': red})
loss_case('bce weight', F.binary_cross_entropy, p, y, {'weight': torch.rand(3, generator=gen)})
loss_case('bceWithLogits posWeight', F.binary_cross_entropy_with_logits, randn(4, 3) * 3, y,
          {'pos_weight': torch.rand(3, generator=gen) + 0.5, 'weight': torch.rand(4, 3, generator=gen)})
lp = F.log_softmax(randn(4, 5), 1)
tq = torch.softmax(randn(4, 5), 1)
tq[0, 0] = 0.0
for red in ['mean', 'sum', 'batchmean', 'none']:
    loss_case(f'klDiv {red}', F.kl_div, lp, tq, {'reduction': red})
loss_case('klDiv logTarget', F.kl_div, lp, torch.log(tq + 1e-3), {'reduction': 'batchmean', 'log_target': True})
# float64 losses
for red in ['mean', 'none']:
    loss_case(f'mse {red} float64', F.mse_loss, a.double(), b.double(), {'reduction': red})
    loss_case(f'crossEntropy weight {red} float64', F.cross_entropy, logits.double(), target, {'reduction': red, 'weight': w.double()})
    loss_case(f'bceWithLogits {red} float64', F.binary_cross_entropy_with_logits, randn64(4, 3) * 3, y.double(), {'reduction': red})
loss_case('crossEntropy smoothing ignore float64', F.cross_entropy, logits.double(), torch.tensor([0, 4, -100, 2, 1, 3]),
          {'label_smoothing': 0.2})
loss_case('huber float64', F.huber_loss, a.double() * 2, b.double(), {'delta': 0.7})

# ---- optimizers ------------------------------------------------------------------------------------------------
X = randn(8, 5)
Y = randn(8, 3)


def make_model():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    m.unused = nn.Parameter(torch.ones(2))  # never gets a gradient: must be skipped
    return m


def make_model64():
    """The same model built under the float64 default dtype (its own float64 initial values)."""
    torch.set_default_dtype(torch.float64)
    try:
        return make_model()
    finally:
        torch.set_default_dtype(torch.float32)


optims = []


def optim_case(name, make_opt, steps=20, clip=None, float64=False):
    m = make_model64() if float64 else make_model()
    opt = make_opt(m)
    traj = []
    norms = []
    x, y = (X.double(), Y.double()) if float64 else (X, Y)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(m(x), y)
        loss.backward()
        if clip == 'norm':
            norms.append(float(nn.utils.clip_grad_norm_(m.parameters(), 0.5)))
        elif clip == 'value':
            nn.utils.clip_grad_value_(m.parameters(), 0.05)
        opt.step()
        traj.append({k: dump_tensor(v) for k, v in m.state_dict().items()} | {'loss': float(loss)})
    optims.append({'name': name + (' float64' if float64 else ''), 'traj': traj, 'norms': norms,
                   'unusedStateEmpty': len(opt.state[m.unused]) == 0, **({'default': 'float64'} if float64 else {})})


P = lambda m: m.parameters()
optim_case('SGD', lambda m: torch.optim.SGD(P(m), lr=0.1))
optim_case('SGD momentum dampening', lambda m: torch.optim.SGD(P(m), lr=0.05, momentum=0.9, dampening=0.1))
optim_case('SGD nesterov weightDecay', lambda m: torch.optim.SGD(P(m), lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01))
optim_case('SGD maximize', lambda m: torch.optim.SGD(P(m), lr=0.01, maximize=True))
optim_case('SGD param groups', lambda m: torch.optim.SGD([{'params': m[0].parameters()}, {'params': m[2].parameters(), 'lr': 0.01, 'momentum': 0.5}], lr=0.1))
optim_case('Adam', lambda m: torch.optim.Adam(P(m), lr=1e-2))
optim_case('Adam amsgrad weightDecay', lambda m: torch.optim.Adam(P(m), lr=1e-2, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.99)))
optim_case('Adam maximize', lambda m: torch.optim.Adam(P(m), lr=1e-3, maximize=True))
optim_case('AdamW', lambda m: torch.optim.AdamW(P(m), lr=1e-2))
optim_case('AdamW amsgrad', lambda m: torch.optim.AdamW(P(m), lr=1e-2, weight_decay=0.1, amsgrad=True))
optim_case('RMSprop', lambda m: torch.optim.RMSprop(P(m), lr=1e-2))
optim_case('RMSprop centered momentum weightDecay', lambda m: torch.optim.RMSprop(P(m), lr=1e-2, centered=True, momentum=0.9, weight_decay=0.01))
optim_case('Adagrad', lambda m: torch.optim.Adagrad(P(m), lr=0.1))
optim_case('Adagrad lrDecay init weightDecay', lambda m: torch.optim.Adagrad(P(m), lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01))
optim_case('SGD clipGradNorm', lambda m: torch.optim.SGD(P(m), lr=0.1, momentum=0.9), clip='norm')
optim_case('SGD clipGradValue', lambda m: torch.optim.SGD(P(m), lr=0.1), clip='value')
# float64 training: the model built under the float64 default, every update in double.
optim_case('SGD momentum dampening', lambda m: torch.optim.SGD(P(m), lr=0.05, momentum=0.9, dampening=0.1), float64=True)
optim_case('Adam', lambda m: torch.optim.Adam(P(m), lr=1e-2), float64=True)
optim_case('Adam amsgrad weightDecay', lambda m: torch.optim.Adam(P(m), lr=1e-2, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.99)), float64=True)
optim_case('AdamW', lambda m: torch.optim.AdamW(P(m), lr=1e-2), float64=True)
optim_case('RMSprop centered momentum weightDecay', lambda m: torch.optim.RMSprop(P(m), lr=1e-2, centered=True, momentum=0.9, weight_decay=0.01), float64=True)
optim_case('Adagrad', lambda m: torch.optim.Adagrad(P(m), lr=0.1), float64=True)
optim_case('SGD clipGradNorm', lambda m: torch.optim.SGD(P(m), lr=0.1, momentum=0.9), clip='norm', float64=True)

scheds = []


def sched_case(name, make, steps=25, metrics=None):
    m = make_model()
    opt, s = make(m)
    lrs, moms = [], []
    for i in range(steps):
        opt.step()
        if metrics is not None:
            s.step(metrics[i])
            lrs.append([g['lr'] for g in opt.param_groups])
        else:
            s.step()
            lrs.append(s.get_last_lr())
        g0 = opt.param_groups[0]
        moms.append(g0['betas'][0] if 'betas' in g0 else g0.get('momentum', 0))
    scheds.append({'name': name, 'lrs': lrs, 'momentum': moms})


S = torch.optim.lr_scheduler
sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
sched_case('StepLR', lambda m: (lambda o: (o, S.StepLR(o, 3, 0.5)))(sgd(m)))
sched_case('MultiStepLR', lambda m: (lambda o: (o, S.MultiStepLR(o, [2, 5, 5, 9], 0.1)))(sgd(m)))
sched_case('ExponentialLR', lambda m: (lambda o: (o, S.ExponentialLR(o, 0.9)))(sgd(m)))
sched_case('CosineAnnealingLR', lambda m: (lambda o: (o, S.CosineAnnealingLR(o, 10, 0.001)))(sgd(m)))
sched_case('LinearLR', lambda m: (lambda o: (o, S.LinearLR(o, 0.25, 1.0, 4)))(sgd(m)))
sched_case('OneCycleLR SGD', lambda m: (lambda o: (o, S.OneCycleLR(o, 0.1, total_steps=30)))(sgd(m)))
sched_case('OneCycleLR Adam linear three-phase', lambda m: (lambda o: (o, S.OneCycleLR(o, 0.01, total_steps=30, anneal_strategy='linear', three_phase=True)))(torch.optim.Adam(m.parameters())))
metrics = [1.0, 0.9, 0.91, 0.92, 0.93, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
sched_case('ReduceLROnPlateau', lambda m: (lambda o: (o, S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, min_lr=0.01)))(sgd(m)), metrics=metrics)

# ---- the seed thread (examples/seed_thread.ts) -------------------------------------------------------------------
seed = {}


class Model1(nn.Module):
    def __init__(self, freeze_a=False):
        super().__init__()
        A = torch.rand((1, 1))
        B = torch.rand((1, 1))
        linear_layer = nn.Linear(1, 1)
        self.a = nn.Parameter(A, requires_grad=not freeze_a)
        self.b = nn.Parameter(B, requires_grad=True)
        self.linear_weights = nn.Parameter(torch.matmul(self.a, self.b), requires_grad=True)
        linear_layer.weight = self.linear_weights
        self.linear_layer = linear_layer

    def forward(self, x):
        return self.linear_layer(x)


class Model2(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.rand((1, 1)))
        self.b = nn.Parameter(torch.rand((1, 1)))
        self.linear_layer = nn.Linear(1, 1)

    def forward(self, x):
        return torch.matmul(self.a, self.b) * x


def run_seed(name, make):
    torch.manual_seed(0)
    model = make()
    x = torch.tensor([1., 3, 3]).unsqueeze(dim=1)
    y = 2 * x
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = {k: dump_tensor(v) for k, v in model.state_dict().items()}
    y_pred = model(x)
    loss = (y - y_pred).abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    after = {k: dump_tensor(v) for k, v in model.state_dict().items()}
    seed[name] = {'before': before, 'after': after, 'yPred': dump_tensor(y_pred), 'loss': dump_tensor(loss),
                  'names': [n for n, _ in model.named_parameters()], 'text': str(y_pred), 'lossText': str(loss)}


run_seed('parameterOfProduct', lambda: Model1())
run_seed('productInForward', lambda: Model2())
run_seed('frozenA', lambda: Model1(freeze_a=True))

with open(os.path.join(OUT, 'nn.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'inits': inits, 'initFns': init_fns, 'gains': gains, 'layers': layers,
               'losses': losses}, f, separators=(',', ':'))
with open(os.path.join(OUT, 'optim.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'X': dump_tensor(X), 'Y': dump_tensor(Y), 'optims': optims, 'scheds': scheds,
               'seed': seed}, f, separators=(',', ':'))
print('nn.json:', len(inits), 'inits,', len(layers), 'layers,', len(losses), 'losses; optim.json:', len(optims),
      'optimizers,', len(scheds), 'schedulers')


def write_safetensors(path, tensors):
    """A safetensors writer from the format's description (8-byte length, JSON header, raw data), independent of
    torchlet's, so the test reads a file torchlet did not write."""
    import struct
    header, blobs, offset = {}, [], 0
    codes = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32', torch.bool: 'BOOL'}
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {'dtype': codes[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = {'format': 'pt'}
    raw = json.dumps(header).encode()
    raw += b' ' * ((8 - len(raw) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


torch.manual_seed(0)
m = nn.Linear(3, 2)
write_safetensors(os.path.join(OUT, 'linear_3_2.safetensors'), {
    'weight': m.weight.detach(), 'bias': m.bias.detach(),
    'steps': torch.tensor([1, 2, 3], dtype=torch.int32), 'mask': torch.tensor([True, False]),
    'double': torch.tensor([0.1, -2.5e-300, 1e300], dtype=torch.float64)})
with open(os.path.join(OUT, 'linear_3_2.json'), 'w') as f:
    json.dump({'weight': dump_tensor(m.weight), 'bias': dump_tensor(m.bias)}, f)


# ---- module printing and state-dict messages --------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Dropout(0.2))
        self.register_buffer('running', torch.zeros(3))
        self.register_buffer('scratch', torch.zeros(1), persistent=False)
        self.emb = nn.Embedding(4, 2, padding_idx=0)
        self.norm = nn.LayerNorm(3)
        self.act = nn.GELU(approximate='tanh')
        self.md = nn.ModuleDict({'a': nn.Tanh(), 'b': nn.Softplus()})
        self.ml = nn.ModuleList([nn.ELU(), nn.LeakyReLU(0.2)])
        self.fl = nn.Flatten()
        self.uf = nn.Unflatten(1, (2, 2))
        self.bi = nn.Bilinear(2, 3, 4)
        self.sm = nn.Softmax(dim=1)


net = Net()
messages = {}
lin = nn.Linear(2, 2)
for key, sd in [('sizeMissingUnexpected', {'weight': torch.zeros(3, 2), 'extra': torch.zeros(1)}),
                ('missing', {'weight': torch.zeros(2, 2)})]:
    try:
        lin.load_state_dict(sd)
    except RuntimeError as e:
        messages[key] = str(e)
nonstrict = lin.load_state_dict({'weight': torch.zeros(2, 2), 'x': torch.zeros(1)}, strict=False)
try:
    lin.weight = torch.zeros(2, 2)
except TypeError as e:
    messages['assignTensor'] = str(e)
with open(os.path.join(OUT, 'module.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'repr': str(net), 'stateDictKeys': list(net.state_dict().keys()),
               'namedParameters': [n for n, _ in net.named_parameters()], 'namedModules': [n for n, _ in net.named_modules()],
               'buffers': [n for n, _ in net.named_buffers()], 'messages': messages,
               'nonStrict': {'missing': nonstrict.missing_keys, 'unexpected': nonstrict.unexpected_keys}}, f, indent=1)
