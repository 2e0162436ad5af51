#!/usr/bin/env python3
"""Writes test/fixtures/fused.json from Debian's python3-torch: the ops with fused native kernels (softmax,
logSoftmax, logsumexp, layerNorm, crossEntropy, nllLoss) over every dim and layout the kernels distinguish
(contiguous, transposed, sliced; last dim and inner-strided dims), empty inputs, -inf rows and large values, every
loss option, float32 and float64: outputs and input gradients for a random incoming gradient. `large` holds
inputs big enough to be split over threads or cut into chunks, given as formulas (see large_case), with PyTorch's
output and gradients (computed in float64 from the float32 inputs) at a few positions and their sums. Run: /usr/bin/python3 scripts/gen_fused_fixtures.py"""
import json
import math
import os

import torch
import torch.nn.functional as F

from gen_fixtures import OUT, apply_steps, dump_tensor

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(12)
nan, inf = float('nan'), float('inf')


def randn(*s, dtype=torch.float32):
    return torch.randn(tuple(s), generator=gen).to(dtype)


def ints(lo, hi, *s):
    return torch.randint(lo, hi, s, generator=gen)


TOL = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-14)}

PY = {
    'softmax': lambda a, kw: torch.softmax(a[0], kw['dim']),
    'logSoftmax': lambda a, kw: torch.log_softmax(a[0], kw['dim']),
    'logsumexp': lambda a, kw: torch.logsumexp(a[0], kw['dim'], keepdim=kw.get('keepDim', False)),
    'layerNorm': lambda a, kw: F.layer_norm(a[0], kw['normalizedShape'], a[1] if len(a) > 1 else None,
                                            a[2] if len(a) > 2 else None, kw.get('eps', 1e-5)),
    'crossEntropy': lambda a, kw: F.cross_entropy(a[0], a[1], weight=a[2] if len(a) > 2 else None,
                                                  ignore_index=kw.get('ignoreIndex', -100),
                                                  reduction=kw.get('reduction', 'mean'),
                                                  label_smoothing=kw.get('labelSmoothing', 0.0)),
    'nllLoss': lambda a, kw: F.nll_loss(a[0], a[1], weight=a[2] if len(a) > 2 else None,
                                        ignore_index=kw.get('ignoreIndex', -100), reduction=kw.get('reduction', 'mean')),
}

cases = []


def case(name, fn, inputs, kw, grads=(True,), steps=None):
    """inputs: base tensors; steps[i]: view steps applied to input i (gen_fixtures' vocabulary); grads[i]: whether
    input i is differentiated (float inputs only)."""
    steps = steps or [[] for _ in inputs]
    leaves, views = [], []
    for i, base in enumerate(inputs):
        want = i < len(grads) and grads[i]
        leaf = base.detach().clone().requires_grad_(want)
        leaves.append(leaf)
        views.append(apply_steps(leaf, steps[i]))
    out = PY[fn](views, kw)
    up = randn(*out.shape, dtype=out.dtype)
    diff = [l for l in leaves if l.requires_grad]
    got = torch.autograd.grad(out, diff, up, allow_unused=True) if diff and out.requires_grad else [None] * len(diff)
    it = iter(got)
    gs = []
    for l in leaves:
        g = next(it) if l.requires_grad else None
        gs.append(None if not l.requires_grad else dump_tensor(g if g is not None else torch.zeros_like(l)))
    rtol, atol = TOL[inputs[0].dtype] if inputs[0].is_floating_point() else TOL[torch.float32]
    specs = []
    for base, st in zip(inputs, steps):
        d = dump_tensor(base)
        if st:
            d['steps'] = st
        specs.append(d)
    cases.append({'name': name, 'fn': fn, 'inputs': specs, 'grads': [bool(i < len(grads) and grads[i]) for i in range(len(inputs))],
                  'kw': kw, 'out': dump_tensor(out), 'upstream': dump_tensor(up),
                  'inputGrads': gs, 'rtol': rtol, 'atol': atol})


# ---- softmax family: every dim of 1-4-D inputs, contiguous, transposed and sliced ----
for dtype in [torch.float32, torch.float64]:
    tag = '' if dtype == torch.float32 else ' float64'
    shapes = [[7], [3, 5], [4, 3, 6], [2, 3, 4, 5]]
    for shape in shapes:
        r = len(shape)
        for fn in ['softmax', 'logSoftmax']:
            for d in range(-r, r):
                case(f'{fn} {shape} dim {d}{tag}', fn, [randn(*shape, dtype=dtype) * 3], {'dim': d})
            if r >= 2:
                # transposed (the softmax dim becomes inner-strided or last) and sliced views
                tshape = list(reversed(shape))
                for d in range(r):
                    case(f'{fn} {shape} transposed dim {d}{tag}', fn, [randn(*tshape, dtype=dtype)],
                         {'dim': d}, steps=[[['permute', list(reversed(range(r)))]]])
                big = list(shape)
                big[-1] = big[-1] * 2 + 1
                for d in range(r):
                    case(f'{fn} {shape} sliced dim {d}{tag}', fn, [randn(*big, dtype=dtype)], {'dim': d},
                         steps=[[['slice', r - 1, 1, None, 2]]])
        for d in range(r):
            case(f'logsumexp {shape} dim {d}{tag}', 'logsumexp', [randn(*shape, dtype=dtype) * 4], {'dim': d})
        if r >= 3:
            case(f'logsumexp {shape} dims [0, 2] keepDim{tag}', 'logsumexp', [randn(*shape, dtype=dtype)],
                 {'dim': [0, 2], 'keepDim': True})
            case(f'logsumexp {shape} dims [1, 2]{tag}', 'logsumexp', [randn(*shape, dtype=dtype)], {'dim': [1, 2]})
            case(f'logsumexp {shape} transposed dims [0, 1]{tag}', 'logsumexp', [randn(*reversed(shape), dtype=dtype)],
                 {'dim': [0, 1]}, steps=[[['permute', list(reversed(range(r)))]]])
    # rows of -inf, +inf, NaN and large values; a long row the kernels cut into chunks
    special = torch.tensor([[-inf, -inf, -inf], [1.0, -inf, 2.0], [inf, 1.0, 2.0], [nan, 1.0, 0.0],
                            [1e4, 1e4 + 1, -1e4], [88.0, 89.0, 90.0]], dtype=dtype)
    for fn in ['softmax', 'logSoftmax']:
        case(f'{fn} non-finite and large rows{tag}', fn, [special], {'dim': 1})
        case(f'{fn} non-finite and large columns{tag}', fn, [special.t().contiguous()], {'dim': 0})
    case(f'logsumexp non-finite and large rows{tag}', 'logsumexp', [special], {'dim': 1})
    for shape, d in [([0, 3], 1), ([0, 3], 0), ([2, 0], 1), ([2, 0], 0)]:
        for fn in ['softmax', 'logSoftmax', 'logsumexp']:
            case(f'{fn} empty {shape} dim {d}{tag}', fn, [randn(*shape, dtype=dtype)], {'dim': d})
    case(f'layerNorm empty batch{tag}', 'layerNorm', [randn(0, 4, dtype=dtype)], {'normalizedShape': [4]})

# ---- layerNorm over 1-3 trailing dims, with and without weight and bias ----
for dtype in [torch.float32, torch.float64]:
    tag = '' if dtype == torch.float32 else ' float64'
    x = randn(2, 3, 4, 5, dtype=dtype) * 2 + 1
    for k in [1, 2, 3]:
        ns = list(x.shape[4 - k:])
        w, b = randn(*ns, dtype=dtype), randn(*ns, dtype=dtype)
        case(f'layerNorm {k} dims{tag}', 'layerNorm', [x], {'normalizedShape': ns})
        case(f'layerNorm {k} dims affine{tag}', 'layerNorm', [x, w, b], {'normalizedShape': ns}, grads=(True, True, True))
        case(f'layerNorm {k} dims affine, weight only grad{tag}', 'layerNorm', [x, w, b], {'normalizedShape': ns},
             grads=(False, True, False))
    case(f'layerNorm transposed input{tag}', 'layerNorm', [randn(6, 4, dtype=dtype)], {'normalizedShape': [6]},
         steps=[[['t']]])
    case(f'layerNorm eps 0.1{tag}', 'layerNorm', [randn(3, 8, dtype=dtype), randn(8, dtype=dtype), randn(8, dtype=dtype)],
         {'normalizedShape': [8], 'eps': 0.1}, grads=(True, True, True))
    case(f'layerNorm constant rows and large offset{tag}', 'layerNorm',
         [torch.tensor([[2.0, 2.0, 2.0, 2.0], [100, 101, 102, 103]], dtype=dtype)], {'normalizedShape': [4]})

# ---- crossEntropy and nllLoss: every option ----
for dtype in [torch.float32, torch.float64]:
    tag = '' if dtype == torch.float32 else ' float64'
    logits = randn(6, 5, dtype=dtype) * 2
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    ignored = torch.tensor([0, -100, 2, 2, -100, 3])
    own = torch.tensor([0, 4, 1, 2, 1, 1])
    w = torch.rand(5, generator=gen).to(dtype) + 0.5
    for red in ['mean', 'sum', 'none']:
        for smooth in [0.0, 0.2]:
            s = f' smoothing {smooth}' if smooth else ''
            for wname, wt in [('', None), (' weight', w)]:
                extra = [wt] if wt is not None else []
                kw = {'reduction': red}
                if smooth:
                    kw['labelSmoothing'] = smooth
                case(f'crossEntropy {red}{s}{wname}{tag}', 'crossEntropy', [logits, target] + extra, kw)
                case(f'crossEntropy {red}{s}{wname} ignore -100{tag}', 'crossEntropy', [logits, ignored] + extra, kw)
                case(f'crossEntropy {red}{s}{wname} ignoreIndex 1{tag}', 'crossEntropy', [logits, own] + extra,
                     {**kw, 'ignoreIndex': 1})
                if not smooth:
                    lp = torch.log_softmax(randn(6, 5, dtype=dtype), 1)
                    case(f'nllLoss {red}{wname}{tag}', 'nllLoss', [lp, target] + extra, kw)
                    case(f'nllLoss {red}{wname} ignoreIndex 1{tag}', 'nllLoss', [lp, own] + extra, {**kw, 'ignoreIndex': 1})
    case(f'crossEntropy 1-D input{tag}', 'crossEntropy', [randn(5, dtype=dtype), torch.tensor(3)], {})
    case(f'crossEntropy 4-D input{tag}', 'crossEntropy', [randn(2, 3, 4, 5, dtype=dtype), ints(0, 3, 2, 4, 5)],
         {'reduction': 'none'})
    case(f'crossEntropy 3-D input smoothing weight{tag}', 'crossEntropy',
         [randn(2, 4, 3, dtype=dtype), ints(0, 4, 2, 3), torch.rand(4, generator=gen).to(dtype)],
         {'labelSmoothing': 0.1})
    case(f'crossEntropy transposed logits{tag}', 'crossEntropy', [randn(5, 6, dtype=dtype), target], {},
         steps=[[['t']], []])
    case(f'crossEntropy every target ignored{tag}', 'crossEntropy', [logits, torch.full((6,), -100)], {})
    case(f'crossEntropy non-finite logits{tag}', 'crossEntropy',
         [torch.tensor([[inf, 0.0, 1.0], [-inf, 0.0, 1.0], [nan, 0.0, 0.0], [1e4, -1e4, 0.0]], dtype=dtype),
          torch.tensor([1, 2, -100, 1])], {'reduction': 'none'})
    case(f'crossEntropy probability targets{tag}', 'crossEntropy',
         [logits, torch.softmax(randn(6, 5, dtype=dtype), 1)], {'labelSmoothing': 0.1}, grads=(True, False))

# ---- large inputs (threads): positions and sums of PyTorch's results for formula inputs ----
large = []


def formula(n, dtype):
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(i * 0.001) * 8 + torch.remainder(i, 7) * 0.25).to(dtype)


def summary(t):
    t = t.reshape(-1)
    picks = sorted(set(p for p in [0, 1, t.numel() // 3, t.numel() // 2, t.numel() - 1] if p < t.numel()))
    return {'picks': picks, 'values': [t[p].item() for p in picks], 'sum': t.double().sum().item(),
            'absSum': t.double().abs().sum().item()}


def large_case(name, fn, shape, kw, affine=False):
    """Inputs from formulas: x as formula(), the upstream gradient cos(i * 0.003), layerNorm's weight
    1 + 0.5 sin(j * 0.1) and bias 0.1 cos(j * 0.2), crossEntropy's targets (7 i) mod C."""
    # float32 inputs, computed in float64: the exact answer the float32 kernels approach (PyTorch's own float32
    # sums over 2^20 elements are off by about 1e-4).
    x = formula(math.prod(shape), torch.float32).double().reshape(shape).requires_grad_()
    args = [x]
    if fn == 'crossEntropy':
        args.append(torch.remainder(torch.arange(shape[0]) * 7, shape[1]))
    if affine:
        ns = kw['normalizedShape']
        j = torch.arange(math.prod(ns), dtype=torch.float64)
        args += [(1 + 0.5 * torch.sin(j * 0.1)).float().double().reshape(ns).requires_grad_(),
                 (0.1 * torch.cos(j * 0.2)).float().double().reshape(ns).requires_grad_()]
    out = PY[fn](args, kw)
    up = torch.cos(torch.arange(out.numel(), dtype=torch.float64) * 0.003).float().double().reshape(out.shape)
    diff = [a for a in args if a.requires_grad]
    grads = torch.autograd.grad(out, diff, up)
    large.append({'name': name, 'fn': fn, 'shape': shape, 'kw': kw, 'affine': affine, 'out': summary(out),
                  'grads': [summary(g) for g in grads]})


large_case('softmax one row of 2^20', 'softmax', [1 << 20], {'dim': 0})
large_case('logSoftmax one row of 2^20', 'logSoftmax', [1 << 20], {'dim': 0})
large_case('softmax [1024, 1024] dim 1', 'softmax', [1024, 1024], {'dim': 1})
large_case('softmax [1024, 1024] dim 0', 'softmax', [1024, 1024], {'dim': 0})
large_case('logSoftmax [4, 512, 512] dim 1', 'logSoftmax', [4, 512, 512], {'dim': 1})
large_case('logsumexp one row of 2^20', 'logsumexp', [1 << 20], {'dim': 0})
large_case('logsumexp [1024, 1024] dim 0', 'logsumexp', [1024, 1024], {'dim': 0})
large_case('layerNorm [1024, 1024]', 'layerNorm', [1024, 1024], {'normalizedShape': [1024]}, affine=True)
large_case('layerNorm [4096, 24]', 'layerNorm', [4096, 24], {'normalizedShape': [24]}, affine=True)
large_case('softmax [3, 40000] dim 1', 'softmax', [3, 40000], {'dim': 1})
large_case('logSoftmax [3000, 70] dim 0', 'logSoftmax', [3000, 70], {'dim': 0})
large_case('layerNorm [4, 2^18]', 'layerNorm', [4, 1 << 18], {'normalizedShape': [1 << 18]})
large_case('crossEntropy [8192, 128] none', 'crossEntropy', [8192, 128], {'reduction': 'none'})
large_case('crossEntropy [8192, 128] mean smoothing', 'crossEntropy', [8192, 128], {'labelSmoothing': 0.1})

with open(os.path.join(OUT, 'fused.json'), 'w') as f:
    json.dump({'generator': 'scripts/gen_fused_fixtures.py', 'torch': torch.__version__, 'cases': cases, 'large': large},
              f, separators=(',', ':'))
print(f'fused.json: {len(cases)} cases, {len(large)} large')
