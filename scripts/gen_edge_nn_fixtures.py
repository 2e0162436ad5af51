#!/usr/bin/env python3
"""Writes test/fixtures/edge_nn.json from Debian's python3-torch: edge cases of the losses, softmax family and
gradient formulas (infinite and NaN inputs, targets and incoming gradients, ignored targets, spatial dims), and
PyTorch's errors for bad weights and padding indices. Run: npm run fixtures (or this script alone).

Each case names a torchlet function (`fn`) and gives its inputs, its keyword arguments in torchlet's spelling,
the incoming gradient and PyTorch's output and input gradients (null where PyTorch gives none)."""
import json
import os
import re
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_fixtures import OUT, dump_tensor, enc

torch.set_num_threads(1)
warnings.filterwarnings('ignore', message="reduction: 'mean' divides")  # kl_div's 'mean' warning
gen = torch.Generator().manual_seed(10)
nan, inf = float('nan'), float('inf')


def randn(*s):
    return torch.randn(*s, generator=gen)


def probs(*s):
    return torch.softmax(randn(*s), 1)


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


PY = {
    'softmax': lambda a, kw: torch.softmax(a[0], kw['dim']),
    'logSoftmax': lambda a, kw: torch.log_softmax(a[0], kw['dim']),
    'logsumexp': lambda a, kw: torch.logsumexp(a[0], kw['dim']),
    'crossEntropy': lambda a, kw: F.cross_entropy(a[0], a[1], **kw),
    'nllLoss': lambda a, kw: F.nll_loss(a[0], a[1], **kw),
    'mseLoss': lambda a, kw: F.mse_loss(a[0], a[1], **kw),
    'l1Loss': lambda a, kw: F.l1_loss(a[0], a[1], **kw),
    'smoothL1Loss': lambda a, kw: F.smooth_l1_loss(a[0], a[1], **kw),
    'huberLoss': lambda a, kw: F.huber_loss(a[0], a[1], **kw),
    'binaryCrossEntropy': lambda a, kw: F.binary_cross_entropy(a[0], a[1], **kw),
    'binaryCrossEntropyWithLogits': lambda a, kw: F.binary_cross_entropy_with_logits(a[0], a[1], **kw),
    'klDiv': lambda a, kw: F.kl_div(a[0], a[1], **kw),
    'pow': lambda a, kw: torch.pow(a[0], a[1] if len(a) > 1 else kw['exponent']),
    'maximum': lambda a, kw: torch.maximum(a[0], a[1]),
    'maxAll': lambda a, kw: a[0].max(),
    'minAll': lambda a, kw: a[0].min(),
    'minimum': lambda a, kw: torch.minimum(a[0], a[1]),
    'remainder': lambda a, kw: torch.remainder(a[0], a[1]),
    'floorDivide': lambda a, kw: torch.floor_divide(a[0], a[1]),
    'clamp': lambda a, kw: torch.clamp(a[0], kw.get('min'), kw.get('max')),
    'sign': lambda a, kw: torch.sign(a[0]),
    'floor': lambda a, kw: torch.floor(a[0]),
    'ceil': lambda a, kw: torch.ceil(a[0]),
    'round': lambda a, kw: torch.round(a[0]),
    'trunc': lambda a, kw: torch.trunc(a[0]),
    'abs': lambda a, kw: torch.abs(a[0]),
    'relu': lambda a, kw: torch.relu(a[0]),
    'leakyRelu': lambda a, kw: F.leaky_relu(a[0], kw['negative_slope']),
    'elu': lambda a, kw: F.elu(a[0]),
    'silu': lambda a, kw: F.silu(a[0]),
    'gelu': lambda a, kw: F.gelu(a[0], approximate=kw.get('approximate', 'none')),
    'softplus': lambda a, kw: F.softplus(a[0]),
    'sigmoid': lambda a, kw: torch.sigmoid(a[0]),
    'tanh': lambda a, kw: torch.tanh(a[0]),
    'embedding': lambda a, kw: F.embedding(a[0], a[1], kw.get('padding_idx')),
    'Embedding': lambda a, kw: nn.Embedding(*a, padding_idx=kw.get('padding_idx')),
    'var': lambda a, kw: torch.var(a[0], kw.get('dim'), unbiased=kw.get('unbiased', True), keepdim=kw.get('keep_dim', False)),
    # chains that the differential tester found: |a / b| and relu(binary_cross_entropy(p, y))
    'divAbs': lambda a, kw: (a[0] / a[1]).abs(),
    'bceRelu': lambda a, kw: torch.relu(F.binary_cross_entropy(a[0], a[1], reduction='none')),
    # 1 / nll_loss(reduction='none'): the sign of an ignored target's zero loss shows (+inf for PyTorch's +0)
    'nllReciprocal': lambda a, kw: 1 / F.nll_loss(a[0], a[1], reduction='none'),
}


def enc_kw(kw):
    return {k: dump_tensor(v) if isinstance(v, torch.Tensor) else enc(v) for k, v in kw.items()}


def py_kw(kw):
    return {snake(k): v for k, v in kw.items()}


cases = []


def case(name, fn, inputs, kw=None, upstream=None, no_grad=(), second=False):
    """inputs: tensors (float ones require grad unless their position is in no_grad); upstream: the incoming
    gradient (ones by default). second: also the gradients of sum_i (grads[i] * v[i]).sum() for random v, taken
    through create_graph (null where the first gradient does not depend on that input)."""
    kw = kw or {}
    xs = [x.clone().requires_grad_(x.is_floating_point() and i not in no_grad) for i, x in enumerate(inputs)]
    out = PY[fn](xs, py_kw(kw))
    up = torch.ones_like(out) if upstream is None else torch.tensor(upstream, dtype=out.dtype).reshape(out.shape)
    extra = {}
    if second:
        leaves = [x for x in xs if x.requires_grad]
        first = torch.autograd.grad(out, leaves, up, create_graph=True)
        vs = [randn(*g.shape) for g in first]
        total = sum((g * v).sum() for g, v in zip(first, vs) if g.requires_grad)
        again = torch.autograd.grad(total, leaves, allow_unused=True) if torch.is_tensor(total) else [None] * len(leaves)
        # an efficient zero tensor (sgn's derivative, say) has no storage: it is zeros
        again = [a if a is None or not a._is_zerotensor() else torch.zeros(a.shape, dtype=a.dtype) for a in again]
        pick = iter(range(len(leaves)))
        at = {i: next(pick) for i, x in enumerate(xs) if x.requires_grad}
        extra = {'v': [dump_tensor(vs[at[i]]) if i in at else None for i in range(len(xs))],
                 'second': [dump_tensor(again[at[i]]) if i in at and again[at[i]] is not None else None for i in range(len(xs))]}
        for x, g in zip(leaves, first):
            x.grad = g.detach()
    elif out.requires_grad:
        out.backward(up)
    cases.append({
        'name': name, 'fn': fn, 'inputs': [dump_tensor(x) for x in inputs], 'kwargs': enc_kw(kw), 'noGrad': list(no_grad),
        'upstream': dump_tensor(up), 'out': dump_tensor(out),
        'grads': [dump_tensor(x.grad) if x.grad is not None else None for x in xs], **extra,
    })


T = lambda *v: torch.tensor(v, dtype=torch.float32)  # noqa: E731


def L(*v):
    """An int64 (int32 in torchlet) tensor: L(1, 2) is 1-d, L([1, 2], [3, 4]) is 2-d."""
    return torch.tensor(list(v), dtype=torch.int64)


NONFINITE_UP = [nan, inf, -inf, 1.0]

# ---- 4: crossEntropy with probability targets over spatial dims (mean divides by N * d1 * ... * dk) ------------
for shape in [(2, 3, 4), (2, 3, 2, 2), (3, 4), (4,)]:
    x = randn(*shape)
    t = torch.softmax(randn(*shape), 0 if len(shape) == 1 else 1)
    for red in ['mean', 'sum', 'none']:
        case(f'crossEntropy probs {list(shape)} {red}', 'crossEntropy', [x, t], {'reduction': red},
             upstream=None if red != 'none' or len(shape) == 1 else randn(*(shape[:1] + shape[2:])).tolist())
    c = shape[0] if len(shape) == 1 else shape[1]
    w = torch.rand(c, generator=gen) + 0.5
    case(f'crossEntropy probs {list(shape)} weight', 'crossEntropy', [x, t], {'weight': w})
    case(f'crossEntropy probs {list(shape)} labelSmoothing', 'crossEntropy', [x, t], {'labelSmoothing': 0.2})
    case(f'crossEntropy probs {list(shape)} weight labelSmoothing sum', 'crossEntropy', [x, t],
         {'weight': w, 'labelSmoothing': 0.1, 'reduction': 'sum'})
x = randn(2, 3, 4)
case('crossEntropy indices [2, 3, 4] mean', 'crossEntropy', [x, L([0, 1, 2, 1], [2, 2, 0, 1])])
case('crossEntropy indices [2, 3, 4] labelSmoothing ignored', 'crossEntropy', [x, L([0, -100, 2, 1], [2, 2, -100, 1])],
     {'labelSmoothing': 0.3})

# ---- 6: pow at a zero base, tensor and number exponents ----------------------------------------------------------
for y in [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -0.5, -2.0]:
    case(f'pow tensor exponent x=[0, 2, -1] y={y}', 'pow', [T(0.0, 2.0, -1.0), T(y, y, y)])
    case(f'pow number exponent {y}', 'pow', [T(0.0, 2.0, -1.0, 0.5)], {'exponent': y})
case('pow number exponent 0, non-finite incoming gradient', 'pow', [T(1.0, 2.0, 0.0, 5.0)], {'exponent': 0.0}, NONFINITE_UP)
case('pow tensor exponent 0, non-finite incoming gradient', 'pow', [T(1.0, 2.0, 0.0, 5.0), T(0.0, 0.0, 0.0, 0.0)], {}, NONFINITE_UP)
case('pow non-finite bases', 'pow', [T(inf, -inf, nan, 0.0), T(2.0, 2.0, 2.0, nan)])

# ---- 15: every target ignored, or zero total weight ----------------------------------------------------------------
x = randn(2, 3)
for fn in ['nllLoss', 'crossEntropy']:
    for red in ['mean', 'sum', 'none']:
        case(f'{fn} all ignored {red}', fn, [x, L(-100, -100)], {'reduction': red})
    case(f'{fn} all ignored weight', fn, [x, L(1, 1)], {'ignoreIndex': 1, 'weight': T(0.5, 2.0, 1.0)})
    case(f'{fn} zero total weight', fn, [x, L(1, 2)], {'weight': T(1.0, 0.0, 0.0)})
    case(f'{fn} 1-d input ignored', fn, [randn(3), torch.tensor(-100)])
    case(f'{fn} spatial all ignored', fn, [randn(2, 3, 2), L([-100, -100], [-100, -100])])
    case(f'{fn} none, non-finite gradient at ignored rows', fn, [randn(4, 3), L(-100, 1, -100, 2)], {'reduction': 'none'},
         [nan, 2.0, inf, -1.0])
case('crossEntropy all ignored labelSmoothing', 'crossEntropy', [x, L(-100, -100)], {'labelSmoothing': 0.1})
case('crossEntropy all ignored labelSmoothing weight', 'crossEntropy', [x, L(-100, -100)],
     {'labelSmoothing': 0.1, 'weight': T(0.5, 2.0, 1.0)})
case('crossEntropy labelSmoothing none, non-finite gradient at ignored rows', 'crossEntropy', [randn(3, 3), L(-100, 1, 0)],
     {'labelSmoothing': 0.2, 'reduction': 'none'}, [inf, 1.0, 2.0])

# ---- 16: softmax family with infinite and NaN logits -----------------------------------------------------------------
ROWS = [[1.0, inf, 2.0], [1.0, -inf, 2.0], [inf, inf, 1.0], [-inf, -inf, -inf], [nan, 1.0, 2.0], [inf, -inf, 0.0],
        [-inf, -inf, 3.0], [1.0, 2.0, 3.0]]
m = torch.tensor(ROWS)
up = randn(*m.shape)
for fn in ['softmax', 'logSoftmax']:
    case(f'{fn} non-finite rows', fn, [m], {'dim': 1}, up.tolist())
    case(f'{fn} non-finite columns', fn, [m.t().contiguous()], {'dim': 0}, up.t().tolist())
case('logsumexp non-finite rows', 'logsumexp', [m], {'dim': 1}, randn(m.shape[0]).tolist())
for i, row in enumerate(ROWS):
    case(f'crossEntropy logits {row}', 'crossEntropy', [torch.tensor([row]), L(0)])
    case(f'crossEntropy logits {row} target 2 labelSmoothing', 'crossEntropy', [torch.tensor([row]), L(2)], {'labelSmoothing': 0.1})
    case(f'crossEntropy logits {row} probabilities', 'crossEntropy', [torch.tensor([row]), T(0.2, 0.3, 0.5).unsqueeze(0)])

# ---- 18: maximum / minimum / clamp with NaN operands --------------------------------------------------------------
a = T(nan, 1.0, nan, 2.0, 1.0, inf, -inf, 3.0)
b = T(1.0, nan, nan, 2.0, inf, inf, inf, -1.0)
for fn in ['maximum', 'minimum']:
    case(f'{fn} NaN operands', fn, [a, b])
    case(f'{fn} non-finite incoming gradient', fn, [T(1.0, 2.0, 0.0, 5.0), T(2.0, 1.0, 0.0, 6.0)], {}, NONFINITE_UP)
case('clamp NaN and infinite input', 'clamp', [T(nan, -inf, inf, 0.0, 1.0, 0.5)], {'min': 0.0, 'max': 1.0})
case('clamp min only NaN input', 'clamp', [T(nan, -1.0, 2.0)], {'min': 0.0})
case('clamp infinite bounds', 'clamp', [T(-inf, 0.5, inf, nan)], {'min': -inf, 'max': inf})
case('clamp min above max', 'clamp', [T(-1.0, 0.5, 2.0)], {'min': 1.0, 'max': 0.0})
case('clamp non-finite incoming gradient', 'clamp', [T(-1.0, 2.0, 0.5, 5.0)], {'min': 0.0, 'max': 1.0}, NONFINITE_UP)
case('clamp max only non-finite incoming gradient', 'clamp', [T(-1.0, 2.0, 0.5, 5.0)], {'max': 1.0}, NONFINITE_UP)

# ---- 19: gradients that are zero in a region, with a non-finite incoming gradient -----------------------------------
for fn in ['sign', 'floor', 'ceil', 'round', 'trunc', 'abs', 'relu']:
    case(f'{fn} non-finite incoming gradient', fn, [T(1.5, -2.0, 0.0, -0.0)], {}, NONFINITE_UP)
case('relu non-finite incoming gradient at negative inputs', 'relu', [T(-1.5, -2.0, 0.0, 3.0)], {}, NONFINITE_UP)
case('leakyRelu slope 0 non-finite incoming gradient', 'leakyRelu', [T(-1.5, -2.0, 0.0, 3.0)], {'negativeSlope': 0.0}, NONFINITE_UP)
case('elu non-finite incoming gradient', 'elu', [T(-1.5, 2.0, 0.0, 3.0)], {}, NONFINITE_UP)
ACT = T(inf, -inf, nan, 100.0, -100.0, 0.0, 1.0, -1.0, 30.0, -30.0)
for fn, kw in [('relu', {}), ('leakyRelu', {'negativeSlope': 0.1}), ('elu', {}), ('silu', {}), ('gelu', {}),
               ('gelu', {'approximate': 'tanh'}), ('softplus', {}), ('sigmoid', {}), ('tanh', {})]:
    case(f'{fn} {kw} non-finite and large inputs', fn, [ACT], kw)
case('embedding padding row, non-finite incoming gradient', 'embedding', [L(1, 0, 2, 1), randn(3, 2)], {'paddingIdx': 1},
     [nan, inf, 1.0, 2.0, -inf, 3.0, nan, nan])
case('embedding negative padding row', 'embedding', [L(2, 0, 2), randn(3, 2)], {'paddingIdx': -1}, [inf, 1.0, 2.0, 3.0, 4.0, 5.0])

# ---- 20: losses with infinite and NaN inputs and targets ------------------------------------------------------------
xs = T(inf, -inf, nan, 1.0, inf, 0.5, 2.0, -inf)
ys = T(1.0, 1.0, 1.0, nan, inf, inf, -inf, -inf)
for fn, kws in [('mseLoss', [{}]), ('l1Loss', [{}]), ('smoothL1Loss', [{}, {'beta': 0.0}, {'beta': 2.0}]),
                ('huberLoss', [{}, {'delta': 2.0}])]:
    for kw in kws:
        case(f'{fn} {kw} non-finite', fn, [xs, ys], {**kw, 'reduction': 'none'}, randn(8).tolist())
        case(f'{fn} {kw} infinite input, finite target', fn, [T(inf, -inf, 3.0), T(0.0, 1.0, 2.0)], {**kw, 'reduction': 'sum'})
    case(f'{fn} {kw} at the kinks', fn, [T(0.0, 1.0, -1.0, 2.0, -2.0, 0.5), T(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)], {**kw, 'reduction': 'mean'})
p = T(0.0, 1.0, 0.5, 0.0, 1.0, 0.3)
q = T(0.0, 1.0, 0.5, 1.0, 0.0, nan)
case('binaryCrossEntropy probabilities 0 and 1', 'binaryCrossEntropy', [p, q], {'reduction': 'none'}, randn(6).tolist())
case('binaryCrossEntropy infinite target', 'binaryCrossEntropy', [T(0.2, 0.7), T(inf, -inf)], {'reduction': 'sum'})
lg = T(inf, -inf, inf, -inf, nan, 3.0, 100.0, -100.0)
lt = T(1.0, 1.0, 0.0, 0.0, 1.0, inf, 0.5, nan)
case('binaryCrossEntropyWithLogits non-finite', 'binaryCrossEntropyWithLogits', [lg, lt], {'reduction': 'none'}, randn(8).tolist())
case('binaryCrossEntropyWithLogits non-finite mean', 'binaryCrossEntropyWithLogits', [lg[:4], lt[:4]])
case('binaryCrossEntropyWithLogits posWeight', 'binaryCrossEntropyWithLogits', [lg, lt],
     {'posWeight': T(2.0, 0.5, 1.0, 3.0, 1.0, 2.0, 0.0, 1.5), 'reduction': 'none'}, randn(8).tolist())
case('binaryCrossEntropyWithLogits posWeight weight sum', 'binaryCrossEntropyWithLogits', [lg[:4].reshape(2, 2), lt[:4].reshape(2, 2)],
     {'posWeight': T(2.0, 0.5), 'weight': T(1.5, 0.5), 'reduction': 'sum'})
case('binaryCrossEntropyWithLogits large finite logits', 'binaryCrossEntropyWithLogits', [T(1e4, -1e4, 88.0, -88.0), T(0.3, 0.3, 1.0, 0.0)],
     {'posWeight': T(2.0, 2.0, 2.0, 2.0)})
li = T(-inf, -inf, -1.0, nan, -2.0, -inf, inf, -0.5)
lq = T(0.0, 0.5, 0.0, 0.5, inf, 0.0, 0.2, nan)
case('klDiv non-finite', 'klDiv', [li, lq], {'reduction': 'none'}, randn(8).tolist())
case('klDiv zero targets batchmean', 'klDiv', [T(-1.0, -2.0, -0.5, -3.0).reshape(2, 2), T(0.0, 0.5, 0.0, 1.0).reshape(2, 2)],
     {'reduction': 'batchmean'})
case('klDiv logTarget non-finite', 'klDiv', [li, T(-inf, -1.0, -inf, 0.0, inf, nan, -2.0, -inf)],
     {'reduction': 'none', 'logTarget': True}, randn(8).tolist())
case('klDiv logTarget sum', 'klDiv', [T(-1.0, -2.0, -inf), T(-inf, -0.5, -1.0)], {'reduction': 'sum', 'logTarget': True})
for red in ['mean', 'sum']:
    case(f'nllLoss -inf log-probability {red}', 'nllLoss', [T(-inf, -1.0, -2.0, -0.5, nan, -1.0).reshape(2, 3), L(0, 2)],
         {'reduction': red})
    case(f'nllLoss weighted -inf log-probability {red}', 'nllLoss', [T(-inf, -1.0, -2.0, -0.5, inf, -1.0).reshape(2, 3), L(0, 1)],
         {'reduction': red, 'weight': T(2.0, 0.0, 1.0)})
case('crossEntropy infinite logits, weight and labelSmoothing', 'crossEntropy', [torch.tensor([[1.0, -inf, 2.0], [-inf, 0.0, 1.0]]), L(0, 1)],
     {'weight': T(1.0, 2.0, 0.5), 'labelSmoothing': 0.2})
case('crossEntropy infinite probability target', 'crossEntropy', [T(1.0, 2.0, 3.0).unsqueeze(0), T(inf, 0.0, 0.0).unsqueeze(0)])
case('crossEntropy zero probability at -inf logit', 'crossEntropy', [T(1.0, -inf, 3.0).unsqueeze(0), T(0.5, 0.0, 0.5).unsqueeze(0)])

# ---- 21: klDiv's gradient at zero targets; remainder of infinite dividends ------------------------------------------
case('klDiv target gradient at 0', 'klDiv', [T(-1.0, -2.0, -0.5), T(0.0, 0.5, 0.0)], {'reduction': 'sum'})
case('klDiv target gradient at negative targets', 'klDiv', [T(-1.0, -2.0), T(-0.5, 0.5)], {'reduction': 'sum'})
RA, RB = T(-inf, inf, 5.0, -5.0, nan, 3.0, 7.0, -7.0, 7.5, -7.5, 1.0, -1.0, 0.0), T(2.0, 2.0, inf, inf, 2.0, nan, -inf, 2.0, -2.0, 0.5, 0.0, 0.0, 0.0)
case('remainder non-finite', 'remainder', [RA, RB])
case('floorDivide non-finite and zero divisors', 'floorDivide', [RA, RB], no_grad=(0, 1))
case('floorDivide of -0.0', 'floorDivide', [T(-0.0, 0.0, -0.0, 1e-30), T(3.0, -3.0, -3.0, -3.0)], no_grad=(0, 1))

# ---- float64: the same nodes keep the dtype ----------------------------------------------------------------------------
D = lambda t: t.double()  # noqa: E731
case('float64 crossEntropy probs [2, 3, 4]', 'crossEntropy', [D(randn(2, 3, 4)), D(probs(2, 3, 4))])
case('float64 crossEntropy all ignored', 'crossEntropy', [D(randn(2, 3)), L(-100, -100)], {'labelSmoothing': 0.1})
case('float64 huberLoss non-finite', 'huberLoss', [D(xs), D(ys)], {'reduction': 'none'}, randn(8).tolist())
case('float64 smoothL1Loss non-finite', 'smoothL1Loss', [D(xs), D(ys)], {'beta': 0.5})
case('float64 binaryCrossEntropy probabilities 0 and 1', 'binaryCrossEntropy', [D(p), D(q)])
case('float64 binaryCrossEntropyWithLogits posWeight', 'binaryCrossEntropyWithLogits', [D(lg), D(lt)],
     {'posWeight': D(T(2.0, 0.5, 1.0, 3.0, 1.0, 2.0, 0.0, 1.5))})
case('float64 klDiv non-finite', 'klDiv', [D(li), D(lq)], {'reduction': 'sum'})
case('float64 logSoftmax non-finite rows', 'logSoftmax', [D(m)], {'dim': 1}, up.tolist())
case('float64 sign non-finite incoming gradient', 'sign', [D(T(1.5, -2.0, 0.0, -0.0))], {}, NONFINITE_UP)
case('float64 maximum NaN operands', 'maximum', [D(a), D(b)])

# ---- second derivatives of the nodes with their own gradient formulas (finite inputs) ---------------------------------
x4, y4 = randn(2, 4), randn(2, 4)
p4, q4 = torch.sigmoid(randn(2, 4)), torch.rand(2, 4, generator=gen)
for fn, ins, kw in [
    ('smoothL1Loss', [x4, y4], {'beta': 0.7}), ('huberLoss', [x4, y4], {'delta': 0.6}),
    ('binaryCrossEntropy', [p4, q4], {}), ('binaryCrossEntropyWithLogits', [x4, q4], {}),
    ('binaryCrossEntropyWithLogits', [x4, q4], {'posWeight': T(2.0, 0.5, 1.0, 3.0)}),
    ('klDiv', [torch.log_softmax(x4, 1), torch.softmax(y4, 1)], {'reduction': 'batchmean'}),
    ('nllLoss', [torch.log_softmax(x4, 1), L(0, 3)], {'weight': T(1.0, 2.0, 0.5, 1.5)}),
    ('crossEntropy', [x4, L(1, -100)], {'labelSmoothing': 0.1}),
    ('crossEntropy', [x4.reshape(2, 2, 2), torch.softmax(y4.reshape(2, 2, 2), 1)], {}),
    ('logSoftmax', [x4], {'dim': 1}), ('elu', [x4], {}), ('softplus', [x4 * 10], {}),
    ('clamp', [x4], {'min': -0.5, 'max': 0.5}), ('maximum', [x4, y4], {}), ('embedding', [L(1, 0, 2, 1), randn(3, 2)], {'paddingIdx': 1}),
]:
    shown = {k: v.tolist() if torch.is_tensor(v) else v for k, v in kw.items()}
    case(f'{fn} {shown} second derivatives', fn, ins, kw, second=True)

# ---- 22: double backward with non-finite values, at kinks and at probabilities 0 and 1 (the differential tester's
# classes: PyTorch's own double-backward formulas, whose masks multiply, so inf * 0 = NaN where they do) -----------------
xn = T(inf, -inf, nan, 0.0, 1.0, -0.5, 2.0, 0.3)
yn = T(1.0, 1.0, 1.0, 0.0, 1.0, nan, -inf, 0.3)
for fn, kw in [('huberLoss', {}), ('huberLoss', {'delta': 0.5}), ('smoothL1Loss', {}), ('smoothL1Loss', {'beta': 0.0}),
               ('smoothL1Loss', {'beta': 0.5}), ('l1Loss', {}), ('mseLoss', {})]:
    case(f'{fn} {kw} non-finite second derivatives', fn, [xn, yn], {**kw, 'reduction': 'none'}, randn(8).tolist(), second=True)
    case(f'{fn} {kw} non-finite mean second derivatives', fn, [xn, yn], {**kw, 'reduction': 'mean'}, second=True)
    case(f'{fn} {kw} non-finite incoming gradient second derivatives', fn, [T(0.5, 3.0, -0.2, -3.0), T(0.0, 0.0, 0.0, 0.0)],
         {**kw, 'reduction': 'none'}, NONFINITE_UP, second=True)
pb = T(0.0, 1.0, 1.0, 0.0, 0.5, 1e-7, 0.999, 0.3)
qb = T(0.1, 0.1, 1.0, 0.0, 0.2, 0.0, 1.0, 0.7)
for red in ['none', 'mean', 'sum']:
    case(f'binaryCrossEntropy 0 and 1 {red} second derivatives', 'binaryCrossEntropy', [pb, qb], {'reduction': red},
         randn(8).tolist() if red == 'none' else None, second=True)
case('binaryCrossEntropy 0 and 1 weight second derivatives', 'binaryCrossEntropy', [pb, qb],
     {'weight': T(0.5, 2.0, 1.0, 0.0, 1.5, 1.0, 3.0, 0.7)}, second=True)
case('float64 binaryCrossEntropy 0 and 1 second derivatives', 'binaryCrossEntropy', [D(pb), D(qb)], {'reduction': 'sum'}, second=True)
for kw in [{}, {'posWeight': T(2.0, 0.5, 1.0, 3.0, 1.0, 2.0, 0.0, 1.5)}, {'weight': T(2.0, 0.5, 1.0, 3.0, 1.0, 2.0, 0.0, 1.5)}]:
    shown = {k: v.tolist() for k, v in kw.items()}
    case(f'binaryCrossEntropyWithLogits {shown} non-finite second derivatives', 'binaryCrossEntropyWithLogits', [lg, lt],
         {**kw, 'reduction': 'none'}, [1.0, inf, -1.0, 2.0, 0.5, nan, 1.0, -inf], second=True)
case('relu of binaryCrossEntropy at 0 and 1 second derivatives', 'bceRelu', [pb, qb], {}, randn(8).tolist(), second=True)
case('abs non-finite second derivatives', 'abs', [T(inf, -inf, nan, 0.0, -0.0, 1.5, -2.0, 3.0)], {},
     [1.0, 2.0, -1.0, 3.0, 1.0, inf, -inf, nan], second=True)
# A constant divisor: PyTorch's sgn backward (inside abs's) is an efficient zero tensor, which div's dividend gradient
# keeps zero, but the negation in div's divisor gradient materializes it (0 * inf = NaN at a zero divisor); torchlet's
# sgn has no gradient at all, so the divisor's second derivative differs there.
case('abs of a quotient by 0 second derivatives', 'divAbs', [T(1.01, 1.01, 2.0, inf, 0.0), T(0.0, 0.29, -1.92, 0.0, 0.0)],
     {}, [-0.8, -1.76, 1.49, 1.0, 2.0], no_grad=(1,), second=True)
for fn, kw in [('relu', {}), ('leakyRelu', {'negativeSlope': 0.0}), ('leakyRelu', {'negativeSlope': 0.1}), ('elu', {})]:
    case(f'{fn} {kw} non-finite second derivatives', fn, [T(0.0, -0.0, -1.0, 1.0, inf, -inf, nan, 30.0)], kw,
         [1.0, -2.0, 0.5, inf, 1.0, -inf, 2.0, nan], second=True)
case('elu at 0 second derivatives', 'elu', [T(0.0, -0.0, 0.0, -1.0, 1.0)], {}, [1.0, 2.0, -3.0, 1.0, 1.0], second=True)
for kw in [{}, {'approximate': 'tanh'}]:
    case(f'gelu {kw} non-finite second derivatives', 'gelu', [T(inf, -inf, nan, 0.0, 1.0, -30.0, 30.0)], kw,
         [1.0, 2.0, 1.0, inf, -1.0, 1.0, 2.0], second=True)
case('nllLoss none ignored rows with -inf log-probabilities, reciprocal', 'nllReciprocal',
     [torch.tensor([[-inf, -1.0, -2.0], [-0.5, -inf, -1.0], [-inf, -inf, -0.1]]), L(-100, 0, -100)], {})

# ---- 23: var backward (PyTorch 1.13's var_backward: 2 / (n - correction) g (x - mean); inf g for a 0-d input) -------
# Not here: var over dim=[] of a tensor with dims, whose backward PyTorch 1.13 takes as a reduction over no dim (dof 0,
# inf / NaN gradients) while its forward reduces everything; torchlet's backward is the full reduction's (issue 10).
for name, x, kw in [
    ('single element unbiased dim 0', T(-0.5), {'dim': 0}),
    ('single element biased dim 0', T(-0.5), {'dim': 0, 'unbiased': False}),
    ('single element rows unbiased dim 1', T(-0.5, 2.0).reshape(2, 1), {'dim': 1}),
    ('0-d unbiased', torch.tensor(2.5), {}),
    ('0-d unbiased dim 0', torch.tensor(2.5), {'dim': 0}),
    ('0-d biased', torch.tensor(2.5), {'unbiased': False}),
    ('infinities dim 1', torch.tensor([[1.0, -inf, 2.0], [1.0, 2.0, 3.0]]), {'dim': 1}),
    ('infinities dim 1 keepDim', torch.tensor([[1.0, -inf, 2.0], [1.0, 2.0, 3.0]]), {'dim': 1, 'keepDim': True}),
    ('infinities all', torch.tensor([[1.0, inf, 2.0], [1.0, 2.0, 3.0]]), {}),
    ('NaN all biased', T(1.0, nan, 2.0), {'unbiased': False}),
    ('dims [0, 2]', randn(2, 3, 2), {'dim': [0, 2]}),
]:
    out_shape = PY['var']([x], py_kw(kw)).shape
    case(f'var {name}', 'var', [x], kw, randn(*out_shape).tolist() if len(out_shape) else [-0.7])
case('var rows second derivatives', 'var', [randn(2, 4)], {'dim': 1}, second=True)
case('var all biased second derivatives', 'var', [randn(2, 3)], {'unbiased': False}, second=True)
case('crossEntropy probabilities negative ignoreIndex', 'crossEntropy', [randn(2, 3), probs(2, 3)], {'ignoreIndex': -1})

# ---- errors (issue 11) -----------------------------------------------------------------------------------------------
errors = []


def error(name, fn, inputs, kw, expect, own_words=False):
    """expect: the part of PyTorch's message that torchlet's must contain (checked against PyTorch here), or with
    own_words, torchlet's wording where PyTorch's message is an accident of Python (PyTorch must still raise)."""
    try:
        PY[fn](inputs, py_kw(kw))
    except (RuntimeError, AssertionError, IndexError, TypeError) as e:
        msg = str(e)
    else:
        raise AssertionError(f'{name}: PyTorch raised nothing')
    assert own_words or expect in msg, (name, msg)
    errors.append({'name': name, 'fn': fn, 'inputs': [dump_tensor(x) if isinstance(x, torch.Tensor) else x for x in inputs],
                   'kwargs': enc_kw(kw), 'pytorch': msg, 'expect': expect})


x2, t2 = randn(2, 3), L(0, 2)
for fn in ['nllLoss', 'crossEntropy']:
    for n in [4, 2]:
        error(f'{fn} weight of {n} for 3 classes', fn, [x2, t2], {'weight': torch.ones(n)},
              f'weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [{n}]')
    error(f'{fn} weight of shape [3, 1]', fn, [x2, t2], {'weight': torch.ones(3, 1)},
          'weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [3, 1]')
    error(f'{fn} spatial weight of 4 for 3 classes', fn, [randn(2, 3, 4), torch.zeros(2, 4, dtype=torch.long)],
          {'weight': torch.ones(4)}, 'weight tensor should be defined either for all')
error('crossEntropy probabilities weight of 4 for 3 classes', 'crossEntropy', [x2, torch.softmax(x2, 1)], {'weight': torch.ones(4)},
      'weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [4]')
error('crossEntropy labelSmoothing weight of 2 for 3 classes', 'crossEntropy', [x2, t2], {'weight': torch.ones(2), 'labelSmoothing': 0.1},
      'weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [2]')
error('binaryCrossEntropy NaN input', 'binaryCrossEntropy', [T(nan, 0.5), T(1.0, 0.0)], {},
      'all elements of input should be between 0 and 1')
error('crossEntropy probabilities ignoreIndex 0', 'crossEntropy', [x2, torch.softmax(x2, 1)], {'ignoreIndex': 0},
      'ignore_index is not supported for floating point target')
for fn in ['binaryCrossEntropy', 'binaryCrossEntropyWithLogits']:
    error(f'{fn} weight larger than the input', fn, [torch.rand(3, 2, generator=gen), torch.rand(3, 2, generator=gen)],
          {'weight': torch.ones(2, 3, 2)}, "output with shape [3, 2] doesn't match the broadcast shape [2, 3, 2]")
error('binaryCrossEntropyWithLogits posWeight larger than the input', 'binaryCrossEntropyWithLogits',
      [torch.rand(3, 2, generator=gen), torch.rand(3, 2, generator=gen)], {'posWeight': torch.ones(4, 3, 2)},
      "output with shape [3, 2] doesn't match the broadcast shape [4, 3, 2]")
w5 = randn(5, 3)
for pad in [5, -6, 9]:
    error(f'Embedding paddingIdx {pad} of 5', 'Embedding', [5, 3], {'paddingIdx': pad}, 'Padding_idx must be within num_embeddings')
    error(f'embedding paddingIdx {pad} of 5', 'embedding', [L(1), w5], {'paddingIdx': pad}, 'Padding_idx must be within num_embeddings')
# PyTorch: Embedding fails indexing the weight with a float, F.embedding refuses a float argument.
error('fractional Embedding paddingIdx', 'Embedding', [5, 3], {'paddingIdx': 1.5}, "expected an integer for 'paddingIdx'", True)
error('fractional embedding paddingIdx', 'embedding', [L(1), w5], {'paddingIdx': 1.5}, "expected an integer for 'paddingIdx'", True)
for idx in [[7], [0, -1], [5]]:
    error(f'embedding index {idx} of 5 rows', 'embedding', [L(*idx), w5], {}, 'index out of range in self')

# Logits of exactly 0 with posWeight: the target's gradient goes through log_sigmoid, whose derivative there is 1/2
# (found by the differential tester, seed 12).
for dt in [torch.float32, torch.float64]:
    case(f'binaryCrossEntropyWithLogits {str(dt)[6:]} zero logits posWeight weight second derivatives', 'binaryCrossEntropyWithLogits',
         [T(0.0, -0.0, 0.0, 1.5, -2.0, 0.0).to(dt), T(0.3, 0.9, 0.0, 1.0, 0.5, 0.7).to(dt)],
         {'posWeight': T(2.34, 2.34, 0.5, 1.0, 3.0, 0.0).to(dt), 'weight': T(1.3, 0.2, 1.0, 2.0, 0.5, 1.1).to(dt), 'reduction': 'sum'},
         second=True)


# max()/min() over everything with a non-finite incoming gradient: the share goes to the picked entries only, the
# others stay 0 (found by the differential tester, seed 14).
for fn in ['maxAll', 'minAll']:
    for up in [nan, inf, 2.0]:
        case(f'{fn} incoming {up}', fn, [T(-1.84, 1.62, 0.5, -1.84, 1.62)], {}, [up])
        case(f'{fn} with NaN, incoming {up}', fn, [T(-1.84, nan, 0.5, nan)], {}, [up])


with open(os.path.join(OUT, 'edge_nn.json'), 'w') as f:
    json.dump({'generator': 'scripts/gen_edge_nn_fixtures.py', 'torch': torch.__version__, 'cases': cases, 'errors': errors},
              f, separators=(',', ':'))
print(f'edge_nn.json: {len(cases)} cases, {len(errors)} errors')
