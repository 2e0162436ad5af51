#!/usr/bin/env python3
"""Writes test/fixtures/conv.json from Debian's python3-torch: convolution forward and gradients over a grid of
options, pooling, padding modes, normalization layers, default initialisation and error cases."""
import itertools
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_fixtures import OUT, dump_tensor

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(42)


def randn(*s):
    return torch.randn(*s, generator=gen)


cases = []


def case(name, kind, inputs, kwargs, fn):
    leaves = [t.clone().requires_grad_() if t is not None and t.is_floating_point() else t for t in inputs]
    out = fn(*leaves, **kwargs)
    outs = list(out) if isinstance(out, tuple) else [out]
    up = randn(*outs[0].shape).to(outs[0].dtype)
    outs[0].backward(up)
    cases.append({'name': name, 'kind': kind, 'kwargs': kwargs,
                  'inputs': [dump_tensor(t) if t is not None else None for t in inputs],
                  'outs': [dump_tensor(o) for o in outs], 'upstream': dump_tensor(up),
                  'grads': [dump_tensor(l.grad) if l is not None and l.grad is not None else None for l in leaves]})


# conv2d grid: batch, channels, kernels, stride, padding, dilation, groups, odd sizes
grid = []
for n, c, oc, k, s, p, d, g, hw in [
    (1, 1, 2, (1, 1), 1, 0, 1, 1, (5, 5)), (3, 3, 8, (3, 3), 1, 1, 1, 1, (7, 6)), (3, 8, 8, (3, 3), 2, 1, 1, 2, (9, 7)),
    (1, 3, 8, (5, 5), 1, 2, 1, 1, (8, 8)), (3, 8, 8, (3, 3), 1, 1, 1, 8, (6, 5)), (1, 3, 3, (3, 2), 2, 0, 2, 1, (11, 9)),
    (3, 1, 8, (5, 5), 1, 'same', 1, 1, (7, 7)), (1, 8, 2, (1, 1), 1, 0, 1, 2, (4, 3)), (3, 3, 8, (3, 3), 1, 'same', 2, 1, (9, 8)),
    (1, 3, 8, (2, 4), 1, 'same', 1, 1, (6, 7)), (3, 8, 4, (3, 3), 2, 0, 2, 2, (13, 11)), (1, 3, 6, (1, 1), 2, 1, 1, 3, (5, 4)),
    (1, 1, 1, (3, 3), 1, 'valid', 1, 1, (3, 3)), (3, 3, 8, (3, 3), 1, 0, 1, 1, (3, 4)),
]:
    x = randn(n, c, *hw)
    w = randn(oc, c // g, *k) * 0.5
    b = randn(oc)
    kw = {'stride': s, 'padding': p, 'dilation': d, 'groups': g}
    case(f'conv2d n{n} c{c} oc{oc} k{k} s{s} p{p} d{d} g{g} {hw}', 'conv2d', [x, w, b], kw, F.conv2d)
case('conv2d no bias, transposed input', 'conv2d', [randn(3, 2, 6, 5).permute(0, 1, 3, 2), randn(4, 2, 3, 3), None], {'stride': 1, 'padding': 1, 'dilation': 1, 'groups': 1}, F.conv2d)
case('conv2d unbatched', 'conv2d', [randn(3, 6, 6), randn(4, 3, 3, 3), randn(4)], {'stride': 1, 'padding': 0, 'dilation': 1, 'groups': 1}, F.conv2d)
case('conv1d', 'conv1d', [randn(3, 4, 11), randn(6, 2, 3), randn(6)], {'stride': 2, 'padding': 1, 'dilation': 1, 'groups': 2}, F.conv1d)
case('conv1d same', 'conv1d', [randn(2, 3, 9), randn(5, 3, 4), None], {'stride': 1, 'padding': 'same', 'dilation': 1, 'groups': 1}, F.conv1d)
for s, p, op, g, d in [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 0, 2, 1), (3, 1, 2, 1, 1), (1, 1, 0, 1, 2)]:
    x = randn(2, 4, 5, 6)
    case(f'convTranspose2d s{s} p{p} op{op} g{g} d{d}', 'convTranspose2d', [x, randn(4, 6 // g, 3, 3), randn(6)],
         {'stride': s, 'padding': p, 'output_padding': op, 'groups': g, 'dilation': d}, F.conv_transpose2d)

# padding modes
for mode in ['constant', 'reflect', 'replicate', 'circular']:
    case(f'pad {mode}', 'pad', [randn(2, 3, 5, 6)], {'pad': [1, 2, 2, 1], 'mode': mode}, lambda x, pad, mode: F.pad(x, pad, mode))
case('pad constant value', 'pad', [randn(2, 3, 4)], {'pad': [2, 0], 'mode': 'constant', 'value': 1.5}, lambda x, pad, mode, value: F.pad(x, pad, mode, value))

# pooling
for k, s, p, d, ceil in [(2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), (2, 1, 0, 2, False), ((3, 2), (2, 1), (1, 0), 1, True)]:
    case(f'maxPool2d k{k} s{s} p{p} d{d} ceil{ceil}', 'maxPool2d', [randn(2, 3, 7, 8)],
         {'kernel_size': k, 'stride': s, 'padding': p, 'dilation': d, 'ceil_mode': ceil, 'return_indices': True}, F.max_pool2d)
nan_input = randn(1, 2, 4, 4)
nan_input[0, 0, 0, 1] = float('nan')
nan_input[0, 0, 1, 0] = float('nan')
nan_input[0, 1, 2, 2] = float('nan')
case('maxPool2d with NaNs (the last NaN in a window wins)', 'maxPool2d', [nan_input],
     {'kernel_size': 2, 'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': True}, F.max_pool2d)
case('maxPool1d', 'maxPool1d', [randn(2, 3, 10)], {'kernel_size': 3, 'stride': 2, 'padding': 1, 'return_indices': True}, F.max_pool1d)
case('maxPool1d over the sequence', 'maxPool1d', [randn(5, 2, 4)], {'kernel_size': 4}, F.max_pool1d)
for k, s, p, ceil, cip, div in [(2, None, 0, False, True, None), (3, 2, 1, False, True, None), (3, 2, 1, True, False, None), (3, 1, 1, False, True, 4), ((2, 3), (1, 2), (1, 1), True, True, None)]:
    case(f'avgPool2d k{k} s{s} p{p} ceil{ceil} cip{cip} div{div}', 'avgPool2d', [randn(2, 3, 7, 8)],
         {'kernel_size': k, 'stride': s, 'padding': p, 'ceil_mode': ceil, 'count_include_pad': cip, 'divisor_override': div}, F.avg_pool2d)
case('avgPool1d', 'avgPool1d', [randn(2, 3, 9)], {'kernel_size': 3, 'stride': 2, 'padding': 1}, F.avg_pool1d)
for o in [(3, 4), (1, 1), (7, 5), (4, 3)]:
    case(f'adaptiveAvgPool2d {o}', 'adaptiveAvgPool2d', [randn(2, 3, 7, 6)], {'output_size': o}, F.adaptive_avg_pool2d)
    case(f'adaptiveMaxPool2d {o}', 'adaptiveMaxPool2d', [randn(2, 3, 7, 6)], {'output_size': o, 'return_indices': True}, F.adaptive_max_pool2d)

# modules: init bits, forward, gradients of parameters, buffers after a training step
modules = []


def module_case(name, seed, make, x, train=True, steps=1, default=None):
    if default:
        torch.set_default_dtype(torch.float64)
        x = x.double()
    torch.manual_seed(seed)
    m = make()
    torch.set_default_dtype(torch.float32)
    init = {k: dump_tensor(v) for k, v in m.state_dict().items()}
    m.train(train)
    xs = x.clone().requires_grad_()
    for _ in range(steps):
        out = m(xs)
    up = randn(*out.shape).to(out.dtype)
    out.backward(up)
    modules.append({'name': name, 'seed': seed, 'train': train, **({'default': default} if default else {}), 'steps': steps, 'init': init, 'input': dump_tensor(x),
                    'out': dump_tensor(out), 'upstream': dump_tensor(up), 'inputGrad': dump_tensor(xs.grad),
                    'paramGrads': {k: dump_tensor(p.grad) for k, p in m.named_parameters()},
                    'state': {k: dump_tensor(v) for k, v in m.state_dict().items()}, 'repr': str(m)})


module_case('Conv2d', 1, lambda: nn.Conv2d(3, 8, 3, padding=1), randn(2, 3, 6, 6))
module_case('Conv2d fan_in 27 bias bound', 2, lambda: nn.Conv2d(3, 4, 3), randn(1, 3, 5, 5))
module_case('Conv2d groups dilation no bias', 3, lambda: nn.Conv2d(4, 8, (3, 2), stride=2, dilation=2, groups=2, bias=False), randn(2, 4, 9, 8))
for mode in ['reflect', 'replicate', 'circular']:
    module_case(f'Conv2d padding_mode {mode}', 4, lambda mode=mode: nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode), randn(2, 2, 5, 4))
module_case('Conv2d same reflect', 4, lambda: nn.Conv2d(2, 3, (2, 3), padding='same', padding_mode='reflect'), randn(1, 2, 5, 6))
module_case('Conv1d', 5, lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1), randn(2, 4, 9))
module_case('ConvTranspose2d', 6, lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), randn(2, 4, 4, 5))
module_case('MaxPool2d', 0, lambda: nn.MaxPool2d(2), randn(2, 3, 6, 6))
module_case('AvgPool2d', 0, lambda: nn.AvgPool2d(3, stride=2, padding=1), randn(2, 3, 6, 6))
module_case('AdaptiveAvgPool2d', 0, lambda: nn.AdaptiveAvgPool2d((2, 3)), randn(2, 3, 6, 7))
module_case('BatchNorm2d train', 7, lambda: nn.BatchNorm2d(3), randn(4, 3, 5, 5) * 2 + 1)
module_case('BatchNorm2d train 3 steps', 7, lambda: nn.BatchNorm2d(3, momentum=0.3), randn(4, 3, 5, 5) * 2 + 1, steps=3)
module_case('BatchNorm2d cumulative', 7, lambda: nn.BatchNorm2d(3, momentum=None), randn(4, 3, 5, 5), steps=2)
module_case('BatchNorm2d eval', 7, lambda: nn.BatchNorm2d(3), randn(4, 3, 5, 5), train=False)
module_case('BatchNorm1d train', 8, lambda: nn.BatchNorm1d(5), randn(6, 5))
module_case('BatchNorm1d 3D no affine', 8, lambda: nn.BatchNorm1d(4, affine=False), randn(3, 4, 6))
module_case('GroupNorm', 9, lambda: nn.GroupNorm(2, 6), randn(3, 6, 4, 4))
module_case('GroupNorm no affine', 9, lambda: nn.GroupNorm(3, 6, affine=False), randn(3, 6, 5))
module_case('Dropout2d', 10, lambda: nn.Dropout2d(0.4), randn(3, 5, 2, 2))

# 3x3, stride-1, ungrouped convolutions with at least 4 channels each way take torchlet's Winograd F(2x2, 3x3)
# path: odd and even sizes, padding 0, 1, 2 and 'same', partial tiles, and a layer-sized case (sums of 288 products).
for n, c, oc, p, hw in [(2, 8, 8, 1, (7, 6)), (3, 16, 12, 0, (9, 10)), (1, 4, 5, 2, (5, 7)), (2, 8, 8, 'same', (8, 9)),
                        (4, 32, 64, 1, (16, 16))]:
    kw = {'stride': 1, 'padding': p, 'dilation': 1, 'groups': 1}
    case(f'conv2d winograd n{n} c{c} oc{oc} p{p} {hw}', 'conv2d', [randn(n, c, *hw), randn(oc, c, 3, 3) * 0.5, randn(oc)], kw,
         F.conv2d)

# 2x2 max pooling over rows long enough for torchlet's 8-wide path, with NaNs and ties inside the vector lanes and
# an odd width (the last column unused).
wide = randn(2, 3, 6, 37)
wide[0, 0, 0, 3] = float('nan')
wide[0, 1, 2, 10] = float('nan')
wide[0, 1, 3, 11] = float('nan')
wide[1, 2, 4, 20:24] = 0.5
wide[1, 0, 1, 5] = float('-inf')
case('maxPool2d 2x2 wide rows with NaNs and ties', 'maxPool2d', [wide],
     {'kernel_size': 2, 'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': True}, F.max_pool2d)

# float64: a plain double path (im2col and dgemm), against PyTorch's double kernels.
d = lambda *s: randn(*s).double()
for n, c, oc, k, s, p, dl, g, hw in [(2, 3, 4, (3, 3), 1, 1, 1, 1, (7, 6)), (3, 8, 8, (3, 3), 2, 1, 1, 2, (9, 7)),
                                     (1, 3, 6, (2, 4), 1, 'same', 1, 1, (6, 7)), (3, 8, 4, (3, 3), 2, 0, 2, 2, (13, 11)),
                                     (2, 8, 8, (3, 3), 1, 1, 1, 1, (8, 9)), (1, 8, 2, (1, 1), 1, 0, 1, 2, (4, 3))]:
    case(f'conv2d n{n} c{c} oc{oc} k{k} s{s} p{p} d{dl} g{g} {hw} float64', 'conv2d', [d(n, c, *hw), d(oc, c // g, *k) * 0.5, d(oc)],
         {'stride': s, 'padding': p, 'dilation': dl, 'groups': g}, F.conv2d)
case('conv1d float64', 'conv1d', [d(3, 4, 11), d(6, 2, 3), d(6)], {'stride': 2, 'padding': 1, 'dilation': 1, 'groups': 2}, F.conv1d)
case('convTranspose2d s2 p1 op1 float64', 'convTranspose2d', [d(2, 4, 5, 6), d(4, 6, 3, 3), d(6)],
     {'stride': 2, 'padding': 1, 'output_padding': 1, 'groups': 1, 'dilation': 1}, F.conv_transpose2d)
case('pad reflect float64', 'pad', [d(2, 3, 5, 6)], {'pad': [1, 2, 2, 1], 'mode': 'reflect'}, lambda x, pad, mode: F.pad(x, pad, mode))
case('maxPool2d k3 s2 p1 float64', 'maxPool2d', [d(2, 3, 7, 8)],
     {'kernel_size': 3, 'stride': 2, 'padding': 1, 'dilation': 1, 'ceil_mode': True, 'return_indices': True}, F.max_pool2d)
case('maxPool2d 2x2 float64', 'maxPool2d', [d(2, 3, 6, 37)],
     {'kernel_size': 2, 'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': True}, F.max_pool2d)
case('avgPool2d k3 s2 p1 float64', 'avgPool2d', [d(2, 3, 7, 8)],
     {'kernel_size': 3, 'stride': 2, 'padding': 1, 'ceil_mode': False, 'count_include_pad': False, 'divisor_override': None}, F.avg_pool2d)
case('adaptiveAvgPool2d (3, 4) float64', 'adaptiveAvgPool2d', [d(2, 3, 7, 6)], {'output_size': (3, 4)}, F.adaptive_avg_pool2d)
case('adaptiveMaxPool2d (4, 3) float64', 'adaptiveMaxPool2d', [d(2, 3, 7, 6)], {'output_size': (4, 3), 'return_indices': True}, F.adaptive_max_pool2d)
module_case('Conv2d float64', 1, lambda: nn.Conv2d(3, 8, 3, padding=1), randn(2, 3, 6, 6), default='float64')
module_case('BatchNorm2d train 3 steps float64', 7, lambda: nn.BatchNorm2d(3, momentum=0.3), randn(4, 3, 5, 5) * 2 + 1, steps=3, default='float64')
module_case('GroupNorm float64', 9, lambda: nn.GroupNorm(2, 6), randn(3, 6, 4, 4), default='float64')

errors = {}
for key, fn in [
    ('channels', lambda: F.conv2d(torch.zeros(2, 4, 5, 5), torch.zeros(8, 3, 3, 3))),
    ('kernelTooLarge', lambda: F.conv2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 5, 5))),
    ('groupsWeight', lambda: F.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 2, 3, 3), groups=2)),
    ('moduleGroups', lambda: nn.Conv2d(3, 4, 3, groups=2)),
]:
    try:
        fn()
    except Exception as e:
        errors[key] = f'{type(e).__name__}: {e}'

with open(os.path.join(OUT, 'conv.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases, 'modules': modules, 'errors': errors}, f, separators=(',', ':'))
print('conv.json:', len(cases), 'cases,', len(modules), 'modules')


# ---- the seed thread's Conv2d part (examples/seed_thread.ts) ---------------------------------------------------
class SeedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mode):
        super().__init__(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size)
        filter_size, emb_dim = kernel_size
        intermediate_dim = 7
        A = torch.rand((out_channels, in_channels, filter_size, intermediate_dim))
        B = torch.rand((intermediate_dim, emb_dim))
        self.a = nn.Parameter(A, requires_grad=True)
        self.b = nn.Parameter(B, requires_grad=True)
        self.mode = mode

    def forward(self, input):
        if self.mode == 'plain':
            self.weight = torch.matmul(self.a, self.b)  # TypeError
        if self.mode == 'newParameter':
            self.weight = nn.Parameter(torch.matmul(self.a, self.b))
            return self._conv_forward(input, self.weight, self.bias)
        return self._conv_forward(input, torch.matmul(self.a, self.b), self.bias)


def seed_conv(mode):
    torch.manual_seed(0)
    in_channels, n_filters, emb_dim, filter_size, n_labels, bs, slen = 1, 2, 7, 3, 3, 5, 6
    model = SeedConv2d(in_channels, n_filters, (filter_size, emb_dim), mode)
    pred_layer = nn.Linear(n_filters, n_labels)
    x = torch.rand((bs, slen, emb_dim))
    y = torch.empty(bs, dtype=torch.long).random_(n_labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = {k: dump_tensor(v.clone()) for k, v in model.state_dict().items()}
    names = [n for n, _ in model.named_parameters()]
    optimizer.zero_grad()
    x = x.unsqueeze(dim=1)
    try:
        conved = model(x)
    except TypeError as e:
        return {'error': str(e), 'before': before, 'names': names}
    conved = F.relu(conved).squeeze(3)
    pooled = F.max_pool1d(conved, conved.shape[2]).squeeze(2)
    pooled = F.dropout(pooled, p=0.1)
    y_pred = pred_layer(pooled)
    loss = F.cross_entropy(input=y_pred, target=y)
    loss.backward()
    optimizer.step()
    after = {k: dump_tensor(v) for k, v in model.state_dict().items()}
    return {'before': before, 'after': after, 'names': names, 'x': dump_tensor(x), 'y': dump_tensor(y),
            'yPred': dump_tensor(y_pred), 'loss': dump_tensor(loss)}


seed_conv_cases = {m: seed_conv(m) for m in ['productInForward', 'newParameter', 'plain']}
with open(os.path.join(OUT, 'seed_conv.json'), 'w') as f:
    json.dump({'torch': torch.__version__, **seed_conv_cases}, f, separators=(',', ':'))
print('seed_conv.json:', {k: ('error' if 'error' in v else 'ok') for k, v in seed_conv_cases.items()})


# ---- conv_grad2.json: second derivatives of convolution and pooling, convTranspose2d's output_padding rule ---------
g2 = torch.Generator().manual_seed(2)


def r2(*s, dtype=torch.float32):
    return torch.randn(*s, generator=g2).to(dtype)


grad2_cases = []


def grad2_case(name, kind, inputs, kwargs, fn):
    """First derivatives with create_graph, then the gradient of <grads, v> with respect to every input and to the
    incoming gradient (PyTorch's double backward). Inputs PyTorch leaves unused get None."""
    leaves = [t.clone().requires_grad_() if t is not None else None for t in inputs]
    out = fn(*leaves, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    up = r2(*out.shape, dtype=out.dtype).requires_grad_()
    live = [l for l in leaves if l is not None]
    grads = torch.autograd.grad(out, live, up, create_graph=True)
    vs = [r2(*g.shape, dtype=g.dtype) for g in grads]
    total = sum((g * v).sum() for g, v in zip(grads, vs) if g.requires_grad)
    second = torch.autograd.grad(total, live + [up], allow_unused=True)
    it = iter(zip(grads, vs, second))
    per = []
    for l in leaves:
        if l is None:
            per.append(None)
            continue
        g, v, s = next(it)
        per.append({'grad': dump_tensor(g), 'v': dump_tensor(v), 'gradGrad': dump_tensor(s) if s is not None else None})
    grad2_cases.append({'name': name, 'kind': kind, 'kwargs': kwargs,
                        'inputs': [dump_tensor(t) if t is not None else None for t in inputs],
                        'out': dump_tensor(out), 'upstream': dump_tensor(up), 'perInput': per,
                        'upstreamGradGrad': dump_tensor(second[-1]) if second[-1] is not None else None})


for dt in [torch.float32, torch.float64]:
    sfx = ' float64' if dt == torch.float64 else ''
    for n, c, oc, k, s, p, d, g, hw, bias in [
        (2, 3, 4, (3, 3), 1, 0, 1, 1, (6, 5), True), (1, 4, 6, (3, 2), 2, 1, 1, 2, (7, 8), True),
        (2, 2, 3, (2, 3), (2, 1), (1, 0), (2, 1), 1, (8, 7), False), (1, 4, 4, (3, 3), 1, 'same', 2, 4, (6, 6), True),
        (1, 3, 2, (2, 4), 1, 'same', 1, 1, (5, 6), True), (2, 6, 4, (1, 1), 2, 1, 1, 2, (5, 4), True),
        (1, 2, 3, (3, 3), 3, 2, 1, 1, (9, 10), False),
    ]:
        kw = {'stride': s, 'padding': p, 'dilation': d, 'groups': g}
        grad2_case(f'conv2d n{n} c{c} oc{oc} k{k} s{s} p{p} d{d} g{g} {hw} bias{bias}{sfx}', 'conv2d',
                   [r2(n, c, *hw, dtype=dt), r2(oc, c // g, *k, dtype=dt), r2(oc, dtype=dt) if bias else None], kw, F.conv2d)
    grad2_case(f'conv2d unbatched{sfx}', 'conv2d', [r2(3, 5, 5, dtype=dt), r2(2, 3, 3, 3, dtype=dt), r2(2, dtype=dt)],
               {'stride': 1, 'padding': 1, 'dilation': 1, 'groups': 1}, F.conv2d)
    for n, c, oc, k, s, p, d, g, l, bias in [(2, 4, 6, 3, 2, 1, 1, 2, 11, True), (1, 3, 5, 4, 1, 'same', 1, 1, 9, False),
                                              (2, 2, 4, 3, 1, 2, 2, 2, 8, True), (1, 3, 2, 2, 3, 0, 1, 1, 10, True)]:
        grad2_case(f'conv1d n{n} c{c} oc{oc} k{k} s{s} p{p} d{d} g{g} l{l} bias{bias}{sfx}', 'conv1d',
                   [r2(n, c, l, dtype=dt), r2(oc, c // g, k, dtype=dt), r2(oc, dtype=dt) if bias else None],
                   {'stride': s, 'padding': p, 'dilation': d, 'groups': g}, F.conv1d)
    for cin, cout, k, s, p, op, g, d, hw, bias in [
        (4, 6, (3, 3), 1, 0, 0, 1, 1, (4, 5), True), (4, 6, (3, 3), 2, 1, 1, 1, 1, (4, 5), True),
        (4, 6, (3, 3), 2, 0, 0, 2, 1, (3, 4), False), (2, 3, (3, 2), 3, 1, 2, 1, 1, (3, 3), True),
        # output_padding >= stride, legal because the dilation is larger
        (2, 3, (3, 3), 1, 0, 1, 1, 2, (4, 4), True), (2, 4, (3, 3), 1, 1, 2, 2, 3, (3, 4), True),
        (2, 3, (2, 3), (1, 2), (0, 1), (1, 1), 1, (2, 1), (3, 4), True), (3, 2, (3, 3), 2, 1, (1, 2), 1, 3, (3, 3), False),
    ]:
        kw = {'stride': s, 'padding': p, 'output_padding': op, 'groups': g, 'dilation': d}
        grad2_case(f'convTranspose2d cin{cin} cout{cout} k{k} s{s} p{p} op{op} g{g} d{d} {hw} bias{bias}{sfx}', 'convTranspose2d',
                   [r2(2, cin, *hw, dtype=dt), r2(cin, cout // g, *k, dtype=dt), r2(cout, dtype=dt) if bias else None], kw, F.conv_transpose2d)
    grad2_case(f'convTranspose2d unbatched{sfx}', 'convTranspose2d', [r2(2, 3, 3, dtype=dt), r2(2, 3, 2, 2, dtype=dt), r2(3, dtype=dt)],
               {'stride': 2, 'padding': 0, 'output_padding': 1, 'groups': 1, 'dilation': 1}, F.conv_transpose2d)
    # No input position reaches the output (all of it is output padding): the bias alone.
    grad2_case(f'convTranspose2d output beyond every input{sfx}', 'convTranspose2d', [r2(1, 2, 1, 1, dtype=dt), r2(2, 3, 1, 1, dtype=dt), r2(3, dtype=dt)],
               {'stride': 1, 'padding': 1, 'output_padding': 2, 'groups': 1, 'dilation': 3}, F.conv_transpose2d)
    for k, s, p, d, ceil in [(2, None, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 1, 2, False), ((3, 2), (2, 1), (1, 0), 1, True)]:
        grad2_case(f'maxPool2d k{k} s{s} p{p} d{d} ceil{ceil}{sfx}', 'maxPool2d', [r2(2, 3, 7, 8, dtype=dt)],
                   {'kernel_size': k, 'stride': s, 'padding': p, 'dilation': d, 'ceil_mode': ceil}, F.max_pool2d)
    for k, s, p, ceil, cip, div in [(2, None, 0, False, True, None), (3, 2, 1, True, False, None), (3, 2, 1, True, True, None),
                                    (3, 1, 1, False, True, 4), ((2, 3), (1, 2), (1, 1), True, False, 5)]:
        grad2_case(f'avgPool2d k{k} s{s} p{p} ceil{ceil} cip{cip} div{div}{sfx}', 'avgPool2d', [r2(2, 3, 7, 8, dtype=dt)],
                   {'kernel_size': k, 'stride': s, 'padding': p, 'ceil_mode': ceil, 'count_include_pad': cip, 'divisor_override': div}, F.avg_pool2d)
    grad2_case(f'maxPool1d{sfx}', 'maxPool1d', [r2(2, 3, 10, dtype=dt)], {'kernel_size': 3, 'stride': 2, 'padding': 1}, F.max_pool1d)
    grad2_case(f'avgPool1d{sfx}', 'avgPool1d', [r2(2, 3, 9, dtype=dt)], {'kernel_size': 3, 'stride': 2, 'padding': 1}, F.avg_pool1d)
    grad2_case(f'adaptiveAvgPool2d{sfx}', 'adaptiveAvgPool2d', [r2(2, 3, 7, 6, dtype=dt)], {'output_size': (3, 4)}, F.adaptive_avg_pool2d)
    grad2_case(f'adaptiveMaxPool2d{sfx}', 'adaptiveMaxPool2d', [r2(2, 3, 7, 6, dtype=dt)], {'output_size': (4, 3)}, F.adaptive_max_pool2d)

# Every stride/padding/dilation (and output_padding) combination on small float64 inputs, groups alternating:
# forward, first and second derivatives where PyTorch accepts the geometry, its message where it does not.
sweep_errors = []


def sweep_case(name, kind, inputs, kwargs, fn):
    try:
        fn(*inputs, **kwargs)
    except RuntimeError as e:
        sweep_errors.append({'name': name, 'kind': kind, 'kwargs': kwargs, 'shapes': [list(t.shape) for t in inputs if t is not None],
                             'bias': inputs[2] is not None, 'error': str(e)})
        return
    grad2_case(name, kind, inputs, kwargs, fn)


f64 = torch.float64
for i, (s, p, d) in enumerate(itertools.product([1, 2, 3], [0, 1, 2], [1, 2, 3])):
    g = 1 + i % 2
    sweep_case(f'sweep conv2d s{s} p{p} d{d} g{g}', 'conv2d', [r2(1, 2, 6, 5, dtype=f64), r2(4, 2 // g, 2, 3, dtype=f64), r2(4, dtype=f64) if i % 3 else None],
               {'stride': s, 'padding': p, 'dilation': d, 'groups': g}, F.conv2d)
    sweep_case(f'sweep conv1d s{s} p{p} d{d} g{g}', 'conv1d', [r2(1, 2, 6, dtype=f64), r2(2, 2 // g, 3, dtype=f64), r2(2, dtype=f64) if i % 3 else None],
               {'stride': s, 'padding': p, 'dilation': d, 'groups': g}, F.conv1d)
i = 0
for s, d in itertools.product([1, 2, 3], [1, 2, 3]):
    for op in range(max(s, d) + 1):  # the last one is illegal
        for p in [0, 2]:
            g = 1 + i % 2
            sweep_case(f'sweep convTranspose2d s{s} p{p} op{op} d{d} g{g}', 'convTranspose2d',
                       [r2(1, 2, 2, 3, dtype=f64), r2(2, 2 // g, 2, 3, dtype=f64), r2(2, dtype=f64) if i % 3 else None],
                       {'stride': s, 'padding': p, 'output_padding': op, 'groups': g, 'dilation': d}, F.conv_transpose2d)
            i += 1

# convTranspose2d's output_padding: legal below max(stride, dilation) per dim, PyTorch's message otherwise.
output_padding = []
for s, d, op in [(1, 2, 1), (2, 1, 1), (1, 3, 2), (3, 1, 2), ((1, 2), (2, 1), (1, 1)), (1, 1, 1), (2, 1, 2), (2, 3, 3),
                 ((1, 2), (1, 1), (1, 1)), ((2, 1), (1, 3), (2, 2))]:
    x, w = torch.zeros(1, 2, 4, 4), torch.zeros(2, 3, 3, 3)
    entry = {'stride': s, 'dilation': d, 'output_padding': op}
    try:
        entry['shape'] = list(F.conv_transpose2d(x, w, stride=s, dilation=d, output_padding=op).shape)
    except RuntimeError as e:
        entry['error'] = str(e)
    output_padding.append(entry)

# The issue's example: backward through conv2d's input gradient (created with create_graph) fills w.grad.
ix, iw = r2(1, 2, 5, 5).requires_grad_(), r2(3, 2, 3, 3).requires_grad_()
igx, = torch.autograd.grad(F.conv2d(ix, iw).sum(), [ix], create_graph=True)
igx.pow(2).sum().backward()
issue_example = {'x': dump_tensor(ix), 'w': dump_tensor(iw), 'gx': dump_tensor(igx), 'xGrad': dump_tensor(ix.grad) if ix.grad is not None else None,
                 'wGrad': dump_tensor(iw.grad)}

# PyTorch's names for the nodes: the op's, and its input gradient's when built with create_graph.
grad_fn_names = {}
nx = r2(1, 2, 5, 5).requires_grad_()
for key, fn in [('conv2d', lambda x: F.conv2d(x, torch.ones(3, 2, 3, 3))), ('convTranspose2d', lambda x: F.conv_transpose2d(x, torch.ones(2, 3, 3, 3))),
                ('avgPool2d', lambda x: F.avg_pool2d(x, 2)), ('adaptiveAvgPool2d', lambda x: F.adaptive_avg_pool2d(x, (2, 3))),
                ('maxPool2d', lambda x: F.max_pool2d(x, 2)), ('adaptiveMaxPool2d', lambda x: F.adaptive_max_pool2d(x, (2, 3)))]:
    y = fn(nx)
    gx, = torch.autograd.grad(y, [nx], torch.ones_like(y, requires_grad=True), create_graph=True)
    grad_fn_names[key] = [y.grad_fn.name(), gx.grad_fn.name()]

# A gradient penalty through layers (WGAN-GP style): d/dparams of |d sum(model(x)) / dx|^2.
torch.manual_seed(11)
gp_model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2), nn.ConvTranspose2d(3, 2, 3, dilation=2, output_padding=1),
                         nn.Tanh(), nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(2, 2, 2, stride=2, groups=2))
gp_init = {k: dump_tensor(v) for k, v in gp_model.state_dict().items()}
gp_x = r2(2, 2, 6, 6).requires_grad_()
gp_gx, = torch.autograd.grad(gp_model(gp_x).sum(), [gp_x], create_graph=True)
gp_penalty = gp_gx.pow(2).sum()
gp_penalty.backward()
gradient_penalty = {'init': gp_init, 'x': dump_tensor(gp_x), 'gx': dump_tensor(gp_gx), 'penalty': dump_tensor(gp_penalty),
                    'xGrad': dump_tensor(gp_x.grad), 'paramGrads': {k: dump_tensor(p.grad) if p.grad is not None else None for k, p in gp_model.named_parameters()}}

grad2_errors = {}
for key, fn in [
    ('outputTooSmall', lambda: F.conv_transpose2d(torch.zeros(1, 4, 1, 1), torch.zeros(4, 3, 3, 3), padding=2)),
    ('transposeGroups', lambda: F.conv_transpose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 3, 3), groups=3)),
    ('transposeGroupsNonPositive', lambda: F.conv_transpose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 3, 3), groups=0)),
    ('transposeBias', lambda: F.conv_transpose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 1, 1), torch.zeros(3), groups=2)),
    ('transposeChannels', lambda: F.conv_transpose2d(torch.zeros(1, 2, 4, 4), torch.zeros(4, 3, 1, 1))),
    ('conv2dGroups', lambda: F.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 2, 3, 3), groups=2)),
    ('conv2dBias', lambda: F.conv2d(torch.zeros(1, 2, 6, 6), torch.zeros(4, 2, 3, 3), torch.zeros(3))),
    ('conv2dSameStrided', lambda: F.conv2d(torch.zeros(1, 2, 6, 6), torch.zeros(4, 2, 3, 3), stride=2, padding='same')),
    ('conv1dChannels', lambda: F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 3, 3))),
    ('conv1dGroups', lambda: F.conv1d(torch.zeros(1, 4, 6), torch.zeros(3, 2, 3), groups=2)),
    ('conv1dKernelTooLarge', lambda: F.conv1d(torch.zeros(1, 2, 3), torch.zeros(4, 2, 5))),
    ('conv1dBias', lambda: F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), torch.zeros(3))),
    ('conv1dInputDims', lambda: F.conv1d(torch.zeros(6), torch.zeros(4, 2, 3))),
    ('conv1dSameStrided', lambda: F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), stride=2, padding='same')),
    ('conv1dGroupsNonPositive', lambda: F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), groups=0)),
]:
    try:
        fn()
    except RuntimeError as e:
        grad2_errors[key] = str(e)

with open(os.path.join(OUT, 'conv_grad2.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': grad2_cases, 'outputPadding': output_padding, 'issueExample': issue_example, 'sweepErrors': sweep_errors, 'gradFnNames': grad_fn_names, 'gradientPenalty': gradient_penalty,
               'errors': grad2_errors}, f,
              separators=(',', ':'))
print('conv_grad2.json:', len(grad2_cases), 'cases,', len(output_padding), 'output_padding checks')
