#!/usr/bin/env python3
"""Random-program differential fixtures: writes test/fixtures/diff_programs.json from Debian's python3-torch.

Run: npm run fixtures:diff  (or /usr/bin/python3 scripts/gen_diff_programs.py --count N --seed S).

Each program is 1-5 ops over random inputs (size-0 dims, 0-d tensors, broadcasting, transposed / expanded /
sliced views, float32 / float64 / int / bool, values with 0, negatives, +-inf and NaN at some rate). The fixture
holds, per program: the inputs (base data plus view steps, as test/helpers/fixtures.ts rebuilds them), the ops in
a neutral form (torchlet's op name, the value indices it reads, its numbers and options), every op's results, the
gradients of a random weighted sum of the last op's results with respect to every value that requires grad, for
some programs the double backward, or the op at which PyTorch raised and the error's class.
test/fuzz/differential.test.ts replays every program through torchlet.

Values form a list, in order of creation: an op record's `n` inputs (the next ones of the input list, default 0)
are built just before the op, then the op's results are appended. An op record is {op, n, in: [value indices],
a: [numbers, lists, strings], kw: {options}}; `in` may hold nested lists (cat); index tensors in `a` are {t: i}.
"""
import argparse
import json
import math
import os
import random
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import apply_steps  # noqa: E402  (the shared view steps)

warnings.filterwarnings('ignore')
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'diff_programs.json')

DT = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}
TORCH_DT = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int64, 'bool': torch.bool}
INT32 = 2 ** 31

# ---- the pointwise op table (lib/ops/pointwise.ts); the test fails when an export is missing here ----------------

UNARY_FLOAT = ['exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal', 'erf',
               'sinh', 'cosh', 'tan', 'atan', 'asin', 'acos', 'asinh', 'acosh', 'atanh', 'log2', 'log10', 'exp2']
UNARY_SAME = ['neg', 'abs', 'sign', 'square', 'relu']
UNARY_ROUND = ['floor', 'ceil', 'round', 'trunc']
UNARY_PARAM = ['clamp', 'clip', 'leakyRelu']
UNARY_BOOL = ['logicalNot', 'isnan']
UNARY = UNARY_FLOAT + UNARY_SAME + UNARY_ROUND + UNARY_PARAM + UNARY_BOOL
BINARY_ARITH = ['add', 'sub', 'mul', 'div', 'pow', 'remainder', 'floorDivide', 'maximum', 'minimum']
BINARY_CMP = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']
BINARY = BINARY_ARITH + BINARY_CMP
NO_IN_PLACE = {'isnan', 'maximum', 'minimum'}  # PyTorch 1.13 has no Tensor.maximum_ / minimum_
# PyTorch refuses a number as the second operand of these (torchlet's table accepts one: an extension, not tested)
TENSOR_ONLY = {'maximum', 'minimum', 'logicalAnd', 'logicalOr', 'logicalXor'}

PY_NAME = {'leakyRelu': 'leaky_relu', 'logicalNot': 'logical_not', 'floorDivide': 'floor_divide',
           'logicalAnd': 'logical_and', 'logicalOr': 'logical_or', 'logicalXor': 'logical_xor'}


def py_name(n):
    return PY_NAME.get(n, n)


# ---- number encoding: exact round trips, nan/inf as strings ------------------------------------------------------

def enc_num(v, dtype):
    if dtype == 'bool':
        return 1 if v else 0
    if dtype == 'int32':
        return int(v)
    v = float(v)
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    if v == 0:
        return 0  # -0 and 0 compare equal
    if dtype == 'float32':
        return float(str(np.float32(v)))  # the shortest decimal that rounds back to this float32
    return v


def dump(t):
    t = t.detach()
    d = DT[t.dtype]
    try:
        flat = t.reshape(-1).tolist()
    except RuntimeError:  # PyTorch's storage-less zero tensors (some double-backward results)
        flat = [0] * t.numel()
    return {'shape': list(t.shape), 'dtype': d, 'data': [enc_num(v, d) for v in flat]}


# ---- the neutral op form, run in PyTorch -------------------------------------------------------------------------

def index_spec(s, vals):
    if s is None:
        return None
    if s == '...':
        return Ellipsis
    if isinstance(s, str):
        parts = [int(p) if p.strip() else None for p in s.split(':')]
        return slice(*parts)
    if isinstance(s, dict):
        return vals[s['t']]
    return s


def reduction_kw(kw):
    return {'reduction': kw.get('reduction', 'mean')}


TRACE = False  # --trace: print each op before PyTorch runs it (to find the op when PyTorch itself crashes)


def run_op(rec, vals):
    """Runs one op record on the values; returns the list of its results."""
    op = rec['op']
    if TRACE:
        ins = [j for i in rec.get('in', []) for j in (i if isinstance(i, list) else [i])]
        print('run', rec, [(tuple(vals[i].shape), vals[i].stride(), vals[i].dtype) for i in ins], flush=True)
    ins = rec.get('in', [])
    t = [vals[i] if isinstance(i, int) else [vals[j] for j in i] for i in ins]
    a = rec.get('a', [])
    kw = rec.get('kw', {})
    base = op[:-1] if op.endswith('_') else op
    if base in UNARY or base in BINARY:
        operands = list(t)
        if 's' in kw:
            if kw.get('rev'):
                s, x = kw['s'], t[0]
                r = {'sub': lambda: s - x, 'div': lambda: s / x, 'pow': lambda: s ** x, 'add': lambda: s + x,
                     'mul': lambda: s * x, 'remainder': lambda: s % x, 'floorDivide': lambda: s // x}[op]()
                return [r]
            operands.append(kw['s'])
        extra = {'alpha': kw['alpha']} if 'alpha' in kw else {}
        if op.endswith('_'):
            if base == 'leakyRelu':
                return [F.leaky_relu_(operands[0], *a)]
            fn = getattr(operands[0], py_name(base) + '_')
            return [fn(*operands[1:], *a, **extra)]
        fn = F.leaky_relu if base == 'leakyRelu' else getattr(torch, py_name(base))
        return [fn(*operands, *a, **extra)]
    x = t[0] if t else None
    if op in ('sum', 'mean'):
        return [getattr(x, op)() if a[0] is None else getattr(x, op)(a[0], keepdim=a[1])]
    if op == 'prod':
        return [x.prod() if a[0] is None else x.prod(a[0], keepdim=a[1])]
    if op in ('max', 'min'):
        if len(t) == 2:
            return [getattr(torch, op)(x, t[1])]
        if not a:
            return [getattr(x, op)()]
        r = getattr(x, op)(a[0], keepdim=a[1])
        return [r.values, r.indices]
    if op in ('amax', 'amin'):
        return [getattr(torch, op)(x, a[0], keepdim=a[1])]
    if op in ('argmax', 'argmin'):
        return [getattr(torch, op)(x) if a[0] is None else getattr(torch, op)(x, a[0], keepdim=a[1])]
    if op in ('var', 'std'):
        if a[0] is None:
            return [getattr(torch, op)(x, unbiased=a[1])] if not a[2] else [getattr(torch, op)(x, None, unbiased=a[1], keepdim=True)]
        return [getattr(torch, op)(x, a[0], unbiased=a[1], keepdim=a[2])]
    if op == 'logsumexp':
        return [torch.logsumexp(x, a[0], keepdim=a[1])]
    if op == 'softmax':
        return [torch.softmax(x, a[0])]
    if op == 'logSoftmax':
        return [torch.log_softmax(x, a[0])]
    if op in ('all', 'any'):
        return [getattr(torch, op)(x)]
    if op == 'matmul':
        return [torch.matmul(x, t[1])]
    if op == 'mm':
        return [torch.mm(x, t[1])]
    if op == 'bmm':
        return [torch.bmm(x, t[1])]
    if op == 'dot':
        return [torch.dot(x, t[1])]
    if op == 'addmm':
        return [torch.addmm(x, t[1], t[2], beta=kw['beta'], alpha=kw['alpha'])]
    if op == 'where':
        return [torch.where(x, t[1], t[2])]
    if op == 'transpose':
        return [x.transpose(a[0], a[1])]
    if op == 't':
        return [x.t()]
    if op == 'permute':
        return [x.permute(a[0])]
    if op == 'reshape':
        return [x.reshape(a[0])]
    if op == 'flatten':
        return [x.flatten(a[0], a[1])]
    if op == 'squeeze':
        return [x.squeeze(*a)]
    if op == 'unsqueeze':
        return [x.unsqueeze(a[0])]
    if op == 'expand':
        return [x.expand(a[0])]
    if op == 'broadcastTo':
        return [torch.broadcast_to(x, a[0])]
    if op == 'narrow':
        return [x.narrow(a[0], a[1], a[2])]
    if op == 'select':
        return [x.select(a[0], a[1])]
    if op == 'index':
        return [x[tuple(index_spec(s, vals) for s in a[0])]]
    if op == 'cat':
        return [torch.cat(t[0], a[0])]
    if op == 'stack':
        return [torch.stack(t[0], a[0])]
    if op == 'split':
        return list(torch.split(x, a[0], a[1]))
    if op == 'chunk':
        return list(torch.chunk(x, a[0], a[1]))
    if op == 'unbind':
        return list(torch.unbind(x, a[0]))
    if op == 'clone':
        return [x.clone()]
    if op == 'contiguous':
        return [x.contiguous()]
    if op == 'to':
        return [x.to(TORCH_DT[a[0]])]
    if op == 'gather':
        return [torch.gather(x, a[0], t[1])]
    if op == 'indexSelect':
        return [torch.index_select(x, a[0], t[1])]
    if op == 'scatterAdd':
        return [torch.scatter_add(x, a[0], t[1], t[2])]
    if op == 'indexAdd':
        return [torch.index_add(x, a[0], t[1], t[2])]
    # nn.functional
    if op == 'elu':
        return [F.elu(x, a[0])]
    if op == 'silu':
        return [F.silu(x)]
    if op == 'gelu':
        return [F.gelu(x, approximate=a[0])]
    if op == 'softplus':
        return [F.softplus(x, a[0], a[1])]
    if op == 'linear':
        return [F.linear(x, t[1], t[2] if len(t) > 2 else None)]
    if op == 'l1Loss':
        return [F.l1_loss(x, t[1], **reduction_kw(kw))]
    if op == 'mseLoss':
        return [F.mse_loss(x, t[1], **reduction_kw(kw))]
    if op == 'smoothL1Loss':
        return [F.smooth_l1_loss(x, t[1], beta=kw.get('beta', 1.0), **reduction_kw(kw))]
    if op == 'huberLoss':
        return [F.huber_loss(x, t[1], delta=kw.get('delta', 1.0), **reduction_kw(kw))]
    if op in ('nllLoss', 'crossEntropy'):
        extra = {'weight': vals[kw['weight']] if 'weight' in kw else None, 'ignore_index': kw.get('ignoreIndex', -100)}
        if op == 'crossEntropy':
            return [F.cross_entropy(x, t[1], label_smoothing=kw.get('labelSmoothing', 0.0), **extra, **reduction_kw(kw))]
        return [F.nll_loss(x, t[1], **extra, **reduction_kw(kw))]
    if op == 'binaryCrossEntropy':
        return [F.binary_cross_entropy(x, t[1], weight=vals[kw['weight']] if 'weight' in kw else None, **reduction_kw(kw))]
    if op == 'binaryCrossEntropyWithLogits':
        return [F.binary_cross_entropy_with_logits(
            x, t[1], weight=vals[kw['weight']] if 'weight' in kw else None,
            pos_weight=vals[kw['posWeight']] if 'posWeight' in kw else None, **reduction_kw(kw))]
    if op == 'klDiv':
        return [F.kl_div(x, t[1], reduction=kw.get('reduction', 'mean'), log_target=kw.get('logTarget', False))]
    # convolution and pooling: options as torchlet spells them
    if op in ('conv1d', 'conv2d', 'convTranspose2d'):
        b = t[2] if len(t) > 2 else None
        o = {'stride': kw.get('stride', 1), 'padding': kw.get('padding', 0), 'dilation': kw.get('dilation', 1),
             'groups': kw.get('groups', 1)}
        if op == 'convTranspose2d':
            return [F.conv_transpose2d(x, t[1], b, output_padding=kw.get('outputPadding', 0), **o)]
        return [getattr(F, op)(x, t[1], b, **o)]
    if op == 'maxPool2d':
        return [F.max_pool2d(x, a[0], stride=kw.get('stride'), padding=kw.get('padding', 0), dilation=kw.get('dilation', 1),
                             ceil_mode=kw.get('ceilMode', False))]
    if op == 'avgPool2d':
        return [F.avg_pool2d(x, a[0], stride=kw.get('stride'), padding=kw.get('padding', 0), ceil_mode=kw.get('ceilMode', False),
                             count_include_pad=kw.get('countIncludePad', True))]
    if op == 'adaptiveAvgPool2d':
        return [F.adaptive_avg_pool2d(x, a[0])]
    if op == 'adaptiveMaxPool2d':
        return [F.adaptive_max_pool2d(x, a[0])]
    raise ValueError(f'unknown op {op}')


# ---- random program generation -----------------------------------------------------------------------------------

class Stop(Exception):
    pass


class Gen:
    """One program under construction: inputs and ops are run eagerly (without grad) to know shapes."""

    def __init__(self, rng, grad):
        self.r = rng
        self.grad = grad
        self.special = rng.choice([0, 0, 0, 0.05, 0.15, 0.3])
        self.inputs = []
        self.ops = []
        self.vals = []      # torch tensors, no grad
        self.fresh = []     # inputs created for the op being generated
        self.error = None

    # -- values --
    def number(self, dtype, lo=None, hi=None):
        r = self.r
        if dtype == 'bool':
            return r.random() < 0.5
        if dtype == 'int32':
            return r.randint(-5 if lo is None else lo, 5 if hi is None else hi)
        if lo is not None:
            return round(r.uniform(lo, hi), 2)
        if r.random() < self.special:
            return r.choice([0.0, 0.0, 1.0, -1.0, 0.5, math.inf, -math.inf, math.nan, 2.0, -0.0])
        return round(r.gauss(0, 1.5), 2)

    def inp(self, shape, dtype, views=True, lo=None, hi=None, grad=None, data=None):
        """A new input whose view has `shape`: a base plus view steps."""
        shape = list(shape)
        base_shape, steps = shape, []
        if views and self.r.random() < 0.45:
            base_shape, steps = self.view_steps(shape)
        n = int(np.prod(base_shape)) if base_shape else 1
        if data is None:
            data = [self.number(dtype, lo, hi) for _ in range(n)]
        base = torch.tensor(data, dtype=TORCH_DT[dtype]).reshape(base_shape)
        if grad is None:
            grad = self.grad and dtype in ('float32', 'float64') and self.r.random() < 0.8
        self.inputs.append({'shape': base_shape, 'dtype': dtype, 'data': [enc_num(v, dtype) for v in base.reshape(-1).tolist()],
                            'steps': steps, 'grad': bool(grad)})
        self.vals.append(apply_steps(base, steps))
        self.fresh.append(len(self.vals) - 1)
        return len(self.vals) - 1

    def view_steps(self, shape):
        """View steps that end at `shape`, chosen backwards from it; returns (base shape, steps)."""
        r = self.r
        steps = []
        cur = list(shape)
        for _ in range(r.choice([1, 1, 2])):
            rank = len(cur)
            kinds = ['expand'] if rank == 0 else ['expand', 'slice'] + (['unsqueeze'] if 1 in cur else [])
            if rank >= 2:
                kinds += ['transpose', 'permute'] + (['t'] if rank == 2 else [])
            k = r.choice(kinds)
            if k == 'transpose':
                i, j = r.sample(range(rank), 2)
                step = ['transpose', i, j]
            elif k == 't':
                step = ['t']
            elif k == 'permute':
                p = list(range(rank))
                r.shuffle(p)
                step = ['permute', p]
            elif k == 'expand':
                step = ['expand', list(cur)]
            elif k == 'slice':
                d = r.randrange(rank)
                st = r.choice([1, 1, 2, 3])
                start = r.choice([0, 0, 1, 2])
                n = cur[d]
                stop = start + (n - 1) * st + 1 if n > 0 else start
                step = ['slice', d, start, stop, st]
                if r.random() < 0.2:
                    step.append('open')
            else:
                step = ['unsqueeze', cur.index(1)]
            cur = pre_image(cur, step, r)
            steps.insert(0, step)
        return cur, steps

    def shape(self, rank=None, zero=0.08):
        r = self.r
        if rank is None:
            rank = r.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        while True:
            s = [0 if r.random() < zero else r.choice([1, 2, 2, 3, 3, 4]) for _ in range(rank)]
            if int(np.prod(s)) <= 36:
                return s

    def dtype(self):
        return self.r.choices(['float32', 'float64', 'int32', 'bool'], [50, 20, 20, 10])[0]

    def like(self, shape):
        """A shape that broadcasts against `shape` (sometimes one that does not)."""
        r = self.r
        m = r.random()
        if m < 0.45:
            return list(shape)
        if m < 0.6:
            return list(shape[r.randint(0, len(shape)):])
        if m < 0.8:
            return [1 if r.random() < 0.5 else d for d in shape]
        if m < 0.9:
            return [r.choice([1, 2])] + [1 if r.random() < 0.3 else d for d in shape]
        if m < 0.95:
            return []
        s = list(shape)
        if s:
            i = r.randrange(len(s))
            s[i] = s[i] + 1
        return s

    def dim(self, rank, allow_bad=True):
        r = self.r
        if rank == 0:
            return r.choice([0, -1]) if (allow_bad and r.random() < 0.05) else 0
        if allow_bad and r.random() < 0.03:
            return r.choice([rank, -rank - 1])
        return r.randint(-rank, rank - 1)

    def emit(self, op, ins=(), a=(), kw=None):
        # JSON does not tell 2.0 from 2 (JavaScript reads both as 2): integral numbers go to PyTorch as ints too
        a = [integral(v) for v in a]
        kw = {k: integral(v) for k, v in kw.items()} if kw else kw
        rec = {'op': op}
        if self.fresh:
            rec['n'] = len(self.fresh)
        if ins:
            rec['in'] = list(ins)
        if a:
            rec['a'] = list(a)
        if kw:
            rec['kw'] = kw
        self.ops.append(encode_rec(rec))
        self.fresh = []
        try:
            with torch.no_grad():
                outs = run_op(rec, self.vals)
        except Exception as e:  # PyTorch refuses: the program ends here
            self.error = {'at': len(self.ops) - 1, 'type': type(e).__name__, 'message': str(e).split('\n')[0][:160]}
            raise Stop()
        self.vals.extend(outs)
        return len(self.vals) - len(outs)


def integral(v):
    if isinstance(v, list):
        return [integral(x) for x in v]
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        return int(v)
    return v


def pre_image(shape, step, r):
    """The shape a view step must start from to produce `shape`."""
    kind = step[0]
    s = list(shape)
    if kind == 'transpose':
        s[step[1]], s[step[2]] = s[step[2]], s[step[1]]
        return s
    if kind == 't':
        return s[::-1]
    if kind == 'permute':
        p = step[1]
        out = [0] * len(s)
        for i, pi in enumerate(p):
            out[pi] = s[i]
        return out
    if kind == 'expand':
        lead = r.randint(0, min(1, len(s)))
        return [1 if r.random() < 0.5 else d for d in s[lead:]]
    if kind == 'slice':
        d, start, stop, st = step[1], step[2], step[3], step[4]
        n = s[d]
        if len(step) == 6:  # an open stop: the base holds exactly the sliced elements after start
            step.pop()
            step[3] = None
            s[d] = start + (n - 1) * st + 1 if n > 0 else start
        else:
            s[d] = (stop if n > 0 else start) + r.choice([0, 1, 2])
        return s
    if kind == 'unsqueeze':
        return s[:step[1]] + s[step[1] + 1:]
    raise ValueError(kind)


FLOATS = ('float32', 'float64')


def pick(g, want_float=False):
    """An existing value to continue the chain from (the latest usually), or None."""
    cands = [i for i, v in enumerate(g.vals) if not want_float or v.dtype in (torch.float32, torch.float64)]
    if not cands:
        return None
    if g.r.random() < 0.75:
        return cands[-1]
    return g.r.choice(cands)


def val_or_new(g, want_float=False, rank=None):
    i = pick(g, want_float) if g.r.random() < 0.85 else None
    if i is not None and (rank is None or g.vals[i].dim() == rank):
        return i
    return g.inp(g.shape(rank), g.r.choice(FLOATS) if want_float else g.dtype())


def gen_unary(g, op, in_place=False):
    r = g.r
    if in_place:
        x = g.inp(g.shape(), g.r.choice(FLOATS) if g.r.random() < 0.75 else g.dtype(), grad=False)
    else:
        x = val_or_new(g, want_float=r.random() < 0.7)
    a = []
    if op in ('clamp', 'clip'):
        lo = r.choice([None, round(r.uniform(-2, 0), 1), r.randint(-2, 0), -math.inf])
        hi = r.choice([None, round(r.uniform(0, 2), 1), r.randint(0, 2), math.inf, -3])
        if lo is None and hi is None and r.random() < 0.7:
            lo = -1
        return g.emit(op + ('_' if in_place else ''), [x], [lo, hi])
    if op == 'leakyRelu':
        s = r.choice([0.01, 0.2, -0.5, 0.0])
        return g.emit(op + ('_' if in_place else ''), [x], [s])
    return g.emit(op + ('_' if in_place else ''), [x])


def scalar_for(g, dtype):
    r = g.r
    k = r.random()
    if k < 0.4:
        return r.randint(-3, 3)
    if k < 0.8:
        return r.choice([0.5, -1.5, 2.0, 0.25, 3.0, -0.0, 1e-3])
    if k < 0.9:
        return r.choice([True, False])
    return r.choice([math.inf, -math.inf, math.nan])


def gen_binary(g, op, in_place=False):
    r = g.r
    if in_place:
        x = g.inp(g.shape(), g.r.choice(FLOATS) if g.r.random() < 0.75 else g.dtype(), grad=False)
    else:
        x = val_or_new(g, want_float=r.random() < 0.6)
    shape = list(g.vals[x].shape)
    kw = {}
    if op in ('add', 'sub') and r.random() < 0.3:
        kw['alpha'] = r.choice([2, -1, 0.5, 0])
    mode = r.random() if op not in TENSOR_ONLY else 0
    if op == 'pow' and g.vals[x].dtype == torch.int64:
        # int32 against PyTorch's int64: small exponents only, so nothing overflows
        mode = 0.5 if mode < 0.6 else 0.95
        if mode == 0.5:
            y = g.inp(g.like(shape), 'int32', lo=0, hi=4)
            return g.emit(op + ('_' if in_place else ''), [x, y], kw=kw or None)
    if mode < 0.7:
        dt = g.vals[x].dtype
        ydt = DT[dt] if r.random() < 0.7 else g.dtype()
        y = g.inp(g.like(shape), ydt, grad=False if in_place else None)
        if r.random() < 0.2 and not in_place:
            x, y = y, x
        return g.emit(op + ('_' if in_place else ''), [x, y], kw=kw or None)
    s = scalar_for(g, g.vals[x].dtype)
    if op == 'pow' and g.vals[x].dtype == torch.int64 and not isinstance(s, bool):
        s = r.choice([0, 1, 2, 3, -1, 0.5])
    rev = not in_place and op in ('sub', 'div', 'pow') and not kw and r.random() < 0.3
    return g.emit(op + ('_' if in_place else ''), [x], kw={**kw, 's': s, **({'rev': True} if rev else {})})


def gen_reduce(g, op):
    r = g.r
    x = val_or_new(g, want_float=r.random() < 0.8)
    rank = g.vals[x].dim()
    keep = r.random() < 0.4
    if op in ('sum', 'mean', 'var', 'std', 'amax', 'amin', 'logsumexp'):
        k = r.random()
        if op == 'logsumexp' or (op in ('amax', 'amin') and k < 0.3):
            dim = g.dim(rank) if r.random() < 0.6 or rank < 2 else r.sample(range(rank), 2)
            if op in ('amax', 'amin') and r.random() < 0.15:
                dim = []
        elif k < 0.35:
            dim = None
        elif k < 0.8 or rank < 2:
            dim = g.dim(rank)
        else:
            dim = r.sample(range(-rank, rank), 2) if r.random() < 0.2 else r.sample(range(rank), 2)
        if op in ('var', 'std'):
            return g.emit(op, [x], [dim, r.random() < 0.7, keep])
        if dim is None:
            return g.emit(op, [x], [None, False])
        return g.emit(op, [x], [dim, keep])
    if op == 'prod':
        return g.emit(op, [x], [None if r.random() < 0.35 else g.dim(rank), keep])
    if op in ('argmax', 'argmin'):
        return g.emit(op, [x], [None if r.random() < 0.3 else g.dim(rank), keep])
    if op in ('max', 'min'):
        k = r.random()
        if k < 0.3:
            return g.emit(op, [x])
        if k < 0.75:
            return g.emit(op, [x], [g.dim(rank), keep])
        y = g.inp(g.like(list(g.vals[x].shape)), DT[g.vals[x].dtype])
        return g.emit(op, [x, y])
    if op in ('softmax', 'logSoftmax'):
        return g.emit(op, [x], [g.dim(rank)])
    if op in ('all', 'any'):
        return g.emit(op, [x])
    raise ValueError(op)


def gen_movement(g, op):
    r = g.r
    x = val_or_new(g, want_float=r.random() < 0.8)
    v = g.vals[x]
    shape = list(v.shape)
    rank = len(shape)
    if op == 'transpose':
        return g.emit(op, [x], [g.dim(rank), g.dim(rank)])
    if op == 't':
        if rank > 2 and r.random() < 0.8:
            x = g.inp(g.shape(r.choice([1, 2])), r.choice(FLOATS))
        return g.emit(op, [x])
    if op == 'permute':
        p = list(range(rank))
        r.shuffle(p)
        if rank and r.random() < 0.3:
            p = [q - rank if r.random() < 0.5 else q for q in p]
        if r.random() < 0.03:
            p = p + [0]
        return g.emit(op, [x], [p])
    if op == 'reshape':
        n = v.numel()
        cands = [[n], [-1], [1, n], [n, 1], [-1, 1]]
        for a in range(2, 5):
            if n % a == 0:
                cands += [[a, n // a], [a, -1], [-1, a], [n // a, 1, a]]
        if n == 0:
            cands += [[0, 3], [3, 0, 2], [0]]
        if n == 1:
            cands += [[], [1, 1, 1]]
        if r.random() < 0.04:
            cands = [[n + 1], [-1, -1]]
        return g.emit(op, [x], [r.choice(cands)])
    if op == 'flatten':
        a = g.dim(rank, allow_bad=False) if rank else 0
        b = g.dim(rank, allow_bad=False) if rank else 0
        if rank and r.random() < 0.8:
            a, b = sorted([a % rank, b % rank])
        return g.emit(op, [x], [a, b])
    if op == 'squeeze':
        return g.emit(op, [x], [] if r.random() < 0.4 else [g.dim(rank)])
    if op == 'unsqueeze':
        return g.emit(op, [x], [r.randint(-rank - 1, rank)])
    if op in ('expand', 'broadcastTo'):
        target = [r.choice([2, 3]) if d == 1 and r.random() < 0.7 else d for d in shape]
        if r.random() < 0.4:
            target = [r.choice([1, 2])] + target
        if op == 'expand' and r.random() < 0.2 and target:
            target[r.randrange(len(target))] = -1
        if r.random() < 0.04 and target:
            target[-1] = target[-1] + 1 if target[-1] != 1 else 5
        return g.emit(op, [x], [target])
    if op == 'narrow':
        if rank == 0:
            return g.emit(op, [x], [0, 0, 1])
        d = g.dim(rank, allow_bad=False)
        n = shape[d]
        start = r.randint(-n, n) if n else 0
        s0 = start % n if (n and start < 0) else start
        length = r.randint(0, max(0, n - s0))
        if r.random() < 0.04:
            length = n + 1
        return g.emit(op, [x], [d, start, length])
    if op == 'select':
        if rank == 0:
            return g.emit(op, [x], [0, 0])
        d = g.dim(rank, allow_bad=False)
        n = shape[d]
        i = r.randint(-n, n - 1) if n else 0
        if r.random() < 0.05:
            i = r.choice([n, -n - 1])
        return g.emit(op, [x], [d, i])
    if op == 'index':
        specs = []
        d = 0
        used_tensor = False
        while d < rank and r.random() < 0.8:
            n = shape[d]
            k = r.random()
            if k < 0.25 and n > 0:
                specs.append(r.randint(-n, n - 1))
            elif k < 0.65:
                st = r.choice([1, 1, 2, 3])
                a = r.choice(['', '0', '1', '-1', '-2', str(n)])
                b = r.choice(['', '', '2', '-1', '1', str(n + 2)])
                specs.append(f'{a}:{b}' + (f':{st}' if st != 1 else ''))
            elif k < 0.75:
                specs.append(None)
                continue
            elif k < 0.85 and not used_tensor and n > 0:
                used_tensor = True
                m = r.randint(0, 4)
                lo = -n if r.random() < 0.5 else 0
                idx = g.inp([m], 'int32', views=False, lo=lo, hi=n - 1, data=[r.randint(lo, n - 1) for _ in range(m)])
                specs.append({'t': idx})
            else:
                specs.append('...')
                d = rank
                continue
            d += 1
        if r.random() < 0.03:
            specs += [0] * (rank - d + 1)
        return g.emit(op, [x], [specs])
    if op in ('cat', 'stack'):
        k = r.randint(1, 3)
        d = r.randint(-rank - (1 if op == 'stack' else 0), rank - (0 if op == 'stack' else 1)) if rank or op == 'stack' else 0
        parts = [x]
        for _ in range(k - 1):
            s = list(shape)
            if op == 'cat' and rank:
                s[d] = r.choice([0, 1, 2])
            if r.random() < 0.05 and s:
                s[0] += 1
            parts.append(g.inp(s, DT[v.dtype] if r.random() < 0.8 else g.dtype()))
        if op == 'cat' and r.random() < 0.05:
            parts.append(g.inp([0], DT[v.dtype]))  # PyTorch's legacy empty 1-D tensor, skipped by cat
        r.shuffle(parts)
        return g.emit(op, [parts], [d])
    if op in ('split', 'chunk', 'unbind'):
        if rank == 0:
            return g.emit(op, [x], [1, 0] if op != 'unbind' else [0])
        d = g.dim(rank, allow_bad=False)
        n = shape[d]
        if op == 'unbind':
            return g.emit(op, [x], [d])
        if op == 'chunk':
            return g.emit(op, [x], [r.randint(1, 4), d])
        if r.random() < 0.5:
            return g.emit(op, [x], [r.randint(1, 3), d])
        sizes = []
        left = n
        while left > 0:
            c = r.randint(0, left)
            sizes.append(c)
            left -= c
            if len(sizes) > 3:
                sizes.append(left)
                break
        if r.random() < 0.05:
            sizes.append(1)
        return g.emit(op, [x], [sizes, d])
    if op in ('clone', 'contiguous'):
        return g.emit(op, [x])
    if op == 'to':
        return g.emit(op, [x], [g.dtype()])
    raise ValueError(op)


def index_tensor(g, shape, n):
    lo = 0
    hi = n - 1
    if n == 0 or g.r.random() < 0.03:
        hi = n
    return g.inp(shape, 'int32', views=g.r.random() < 0.3, lo=lo, hi=max(lo, hi))


def gen_indexing(g, op):
    r = g.r
    x = val_or_new(g, want_float=r.random() < 0.85)
    shape = list(g.vals[x].shape)
    rank = len(shape)
    d = g.dim(rank, allow_bad=False) if rank else 0
    n = shape[d] if rank else 1
    if op == 'indexSelect':
        # a 0-d input takes one index: a longer one overflows PyTorch 1.13's output buffer (heap corruption), an
        # empty one returns uninitialized memory
        m = r.randint(0, 4) if rank else 1
        idx = index_tensor(g, [m] if r.random() < 0.9 else [], n)
        return g.emit(op, [x, idx], [d])
    if op in ('gather', 'scatterAdd'):
        ishape = [r.randint(0, s) if i != d else r.randint(1, 3) for i, s in enumerate(shape)] if rank else []
        idx = index_tensor(g, ishape, n)
        if op == 'gather':
            return g.emit(op, [x, idx], [d])
        src = g.inp(ishape, DT[g.vals[x].dtype])
        return g.emit(op, [x, idx, src], [d])
    if op == 'indexAdd':
        m = r.randint(0, 3)
        idx = index_tensor(g, [m], n)
        sshape = list(shape)
        if rank:
            sshape[d] = m
        src = g.inp(sshape, DT[g.vals[x].dtype])
        return g.emit(op, [x, idx, src], [d])
    raise ValueError(op)


def gen_linalg(g, op):
    r = g.r
    dt = r.choice(FLOATS) if r.random() < 0.95 else g.dtype()
    n, k, m = r.choice([0, 1, 2, 3]), r.choice([0, 1, 2, 3, 4]), r.choice([1, 2, 3])
    bad = r.random() < 0.05
    if op == 'mm':
        a = g.inp([n, k], dt)
        b = g.inp([k + bad, m], dt)
        return g.emit(op, [a, b])
    if op == 'bmm':
        bsz = r.choice([0, 1, 2])
        a = g.inp([bsz, n, k], dt)
        b = g.inp([bsz, k + bad, m], dt)
        return g.emit(op, [a, b])
    if op == 'dot':
        a = g.inp([k], dt)
        b = g.inp([k + bad], dt)
        return g.emit(op, [a, b])
    if op == 'addmm':
        i = g.inp(g.like([n, m]) if r.random() < 0.6 else [n, m], dt)
        a = g.inp([n, k], dt)
        b = g.inp([k + bad, m], dt)
        return g.emit(op, [i, a, b], kw={'beta': r.choice([1, 0, 0.5]), 'alpha': r.choice([1, 2, -0.5])})
    if op == 'matmul':
        ra, rb = r.choice([1, 2, 2, 3]), r.choice([1, 2, 2, 3])
        batch = [r.choice([1, 2])] if max(ra, rb) == 3 else []
        sa = ([k] if ra == 1 else ([n, k] if ra == 2 else [r.choice([1, batch[0]]), n, k]))
        sb = ([k + bad] if rb == 1 else ([k + bad, m] if rb == 2 else [batch[0], k + bad, m]))
        prev = pick(g, want_float=True)
        if prev is not None and list(g.vals[prev].shape) == sa and r.random() < 0.7:
            a = prev
        else:
            a = g.inp(sa, dt)
        b = g.inp(sb, DT[g.vals[a].dtype])
        return g.emit(op, [a, b])
    if op == 'linear':
        x = g.inp([r.choice([0, 1, 2, 3])] * r.choice([0, 1]) + [k], dt)
        w = g.inp([m, k + bad], dt)
        ins = [x, w] + ([g.inp([m], dt)] if r.random() < 0.6 else [])
        return g.emit(op, ins)
    raise ValueError(op)


def gen_where(g, op):
    r = g.r
    x = val_or_new(g)
    shape = list(g.vals[x].shape)
    c = g.inp(g.like(shape), 'bool' if r.random() < 0.95 else 'float32')
    y = g.inp(g.like(shape), DT[g.vals[x].dtype] if r.random() < 0.7 else g.dtype())
    ins = [c, x, y] if r.random() < 0.5 else [c, y, x]
    return g.emit(op, ins)


def gen_activation(g, op):
    r = g.r
    x = val_or_new(g, want_float=r.random() < 0.95)
    if op == 'elu':
        return g.emit(op, [x], [r.choice([1.0, 0.5, 2.0])])
    if op == 'silu':
        return g.emit(op, [x])
    if op == 'gelu':
        return g.emit(op, [x], [r.choice(['none', 'tanh'])])
    if op == 'softplus':
        return g.emit(op, [x], [r.choice([1, 2, 0.5]), r.choice([20, 1, 5])])
    raise ValueError(op)


def gen_loss(g, op):
    r = g.r
    dt = r.choice(FLOATS)
    red = r.choice(['mean', 'sum', 'none'])
    kw = {'reduction': red}
    if op in ('l1Loss', 'mseLoss', 'smoothL1Loss', 'huberLoss'):
        x = val_or_new(g, want_float=True)
        y = g.inp(list(g.vals[x].shape), DT[g.vals[x].dtype])
        if op == 'smoothL1Loss' and r.random() < 0.5:
            kw['beta'] = r.choice([0.5, 2.0, 0.0])
        if op == 'huberLoss' and r.random() < 0.5:
            kw['delta'] = r.choice([0.5, 2.0])
        return g.emit(op, [x, y], kw=kw)
    if op in ('nllLoss', 'crossEntropy'):
        nb, c = r.choice([0, 1, 2, 3]), r.choice([1, 2, 3, 4])
        form = r.choice(['NC', 'NC', 'C', 'NCd'])
        shape = {'NC': [nb, c], 'C': [c], 'NCd': [nb, c, r.choice([1, 2])]}[form]
        tshape = {'NC': [nb], 'C': [], 'NCd': [nb, shape[-1]]}[form]
        x = g.inp(shape, dt)
        if r.random() < 0.3:
            kw['weight'] = g.inp([c], dt, views=False, lo=0, hi=2, grad=False)
        if r.random() < 0.3:
            kw['ignoreIndex'] = r.choice([0, 1, -100, -1])
        prob = op == 'crossEntropy' and r.random() < 0.35
        if prob:
            t = g.inp(shape, dt, lo=0, hi=1)
        else:
            hi = c - 1 if r.random() < 0.95 else c
            vals = [r.randint(0, hi) if r.random() > 0.15 else kw.get('ignoreIndex', -100) for _ in range(int(np.prod(tshape)) if tshape else 1)]
            t = g.inp(tshape, 'int32', views=False, data=vals)
        if op == 'crossEntropy' and r.random() < 0.3:
            kw['labelSmoothing'] = r.choice([0.1, 0.5])
        return g.emit(op, [x, t], kw=kw)
    if op in ('binaryCrossEntropy', 'binaryCrossEntropyWithLogits'):
        shape = g.shape()
        if op == 'binaryCrossEntropy':
            x = g.inp(shape, dt, lo=0, hi=1) if r.random() < 0.9 else g.inp(shape, dt)
        else:
            x = val_or_new(g, want_float=True)
            shape = list(g.vals[x].shape)
        t = g.inp(shape, DT[g.vals[x].dtype], lo=0, hi=1)
        if r.random() < 0.3:
            kw['weight'] = g.inp(g.like(shape) if r.random() < 0.5 else shape, DT[g.vals[x].dtype], lo=0, hi=2, grad=False)
        if op == 'binaryCrossEntropyWithLogits' and r.random() < 0.3 and shape:
            kw['posWeight'] = g.inp([shape[-1]], DT[g.vals[x].dtype], lo=0, hi=3, grad=False)
        return g.emit(op, [x, t], kw=kw)
    if op == 'klDiv':
        x = val_or_new(g, want_float=True)
        shape = list(g.vals[x].shape)
        log_t = r.random() < 0.3
        t = g.inp(shape, DT[g.vals[x].dtype], lo=-2 if log_t else 0, hi=0 if log_t else 1)
        kw = {'reduction': r.choice(['mean', 'sum', 'none', 'batchmean']), 'logTarget': log_t}
        return g.emit(op, [x, t], kw=kw)
    raise ValueError(op)


def gen_conv(g, op):
    r = g.r
    dt = r.choice(FLOATS)
    groups = r.choice([1, 1, 1, 2])
    cin, cout = groups * r.choice([1, 2]), groups * r.choice([1, 2])
    n = r.choice([None, 1, 2])
    bad = r.random() < 0.04
    kw = {}
    if op == 'conv1d':
        k, length = r.choice([1, 2, 3]), r.choice([0, 2, 3, 5]) if r.random() < 0.1 else r.choice([3, 4, 5])
        x = g.inp(([n] if n else []) + [cin + bad, length], dt)
        w = g.inp([cout, cin // groups, k], dt)
        if r.random() < 0.5:
            kw['padding'] = r.choice([0, 1, 'same', 'valid'])
        if r.random() < 0.3 and kw.get('padding') != 'same':
            kw['stride'] = 2
        if r.random() < 0.2:
            kw['dilation'] = 2
    else:
        kh, kwid = r.choice([1, 2, 3]), r.choice([1, 2, 3])
        h, wd = r.choice([2, 3, 4, 5]), r.choice([2, 3, 4])
        x = g.inp(([n] if n else []) + [cin + bad, h, wd], dt)
        if op == 'conv2d':
            w = g.inp([cout, cin // groups, kh, kwid], dt)
            if r.random() < 0.5:
                kw['padding'] = r.choice([0, 1, [1, 0], 'same', 'valid'])
            if r.random() < 0.3 and kw.get('padding') != 'same':
                kw['stride'] = r.choice([2, [1, 2]])
            if r.random() < 0.2:
                kw['dilation'] = r.choice([2, [2, 1]])
        else:
            w = g.inp([cin, cout // groups, kh, kwid], dt)
            stride = r.choice([1, 2, 2, [2, 1]])
            kw['stride'] = stride
            if r.random() < 0.4:
                kw['padding'] = r.choice([0, 1])
            smin = min(stride) if isinstance(stride, list) else stride
            if r.random() < 0.5 and smin > 1:
                kw['outputPadding'] = 1 if r.random() < 0.9 else 2
            if r.random() < 0.2:
                kw['dilation'] = 2
                if 'outputPadding' in kw and kw['outputPadding'] >= 2:
                    kw['outputPadding'] = 1
    if groups > 1:
        kw['groups'] = groups
    ins = [x, w] + ([g.inp([cout], dt)] if r.random() < 0.6 else [])
    return g.emit(op, ins, kw=kw or None)


def gen_pool(g, op):
    r = g.r
    dt = r.choice(FLOATS)
    shape = [r.choice([1, 2])] * r.choice([0, 1]) + [r.choice([1, 2]), r.choice([1, 2, 3, 4, 5]), r.choice([2, 3, 4])]
    prev = pick(g, want_float=True)
    x = prev if prev is not None and g.vals[prev].dim() in (3, 4) and r.random() < 0.6 else g.inp(shape, dt)
    if op in ('adaptiveAvgPool2d', 'adaptiveMaxPool2d'):
        return g.emit(op, [x], [r.choice([1, 2, 3, [2, 1], [3, 2]])])
    k = r.choice([1, 2, 3, [2, 1]])
    kw = {}
    if r.random() < 0.5:
        kw['stride'] = r.choice([1, 2, [1, 2]])
    kmin = min(k) if isinstance(k, list) else k
    if r.random() < 0.4:
        kw['padding'] = r.randint(0, kmin // 2) if r.random() < 0.95 else kmin
    if r.random() < 0.3:
        kw['ceilMode'] = True
    if op == 'maxPool2d' and r.random() < 0.2:
        kw['dilation'] = 2
    if op == 'avgPool2d' and r.random() < 0.3:
        kw['countIncludePad'] = False
    # PyTorch 1.13 corrupts its heap on some windows larger than the padded input: only valid geometry is generated
    pair = lambda v: v if isinstance(v, list) else [v, v]
    dims = list(g.vals[x].shape[-2:])
    stride = pair(kw.get('stride', k))
    for i in range(2):
        kk, ss, pp, dd = pair(k)[i], stride[i], pair(kw.get('padding', 0))[i], pair(kw.get('dilation', 1))[i]
        span = dims[i] + 2 * pp - dd * (kk - 1) - 1
        if span < 0 or pp > kk // 2:
            return gen_unary(g, 'relu')
        out = (-(-span // ss) if kw.get('ceilMode') else span // ss) + 1
        if kw.get('ceilMode') and (out - 1) * ss >= dims[i] + pp:
            out -= 1
        if out < 1:
            return gen_unary(g, 'relu')
    return g.emit(op, [x], [k], kw=kw or None)


GENERATORS = {}
for _n in UNARY:
    GENERATORS[_n] = lambda g, op=_n: gen_unary(g, op)
    if _n not in NO_IN_PLACE:
        GENERATORS[_n + '_'] = lambda g, op=_n: gen_unary(g, op, in_place=True)
for _n in BINARY:
    GENERATORS[_n] = lambda g, op=_n: gen_binary(g, op)
    if _n not in NO_IN_PLACE:
        GENERATORS[_n + '_'] = lambda g, op=_n: gen_binary(g, op, in_place=True)
for _n in ['sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin', 'var', 'std', 'logsumexp',
           'softmax', 'logSoftmax', 'all', 'any']:
    GENERATORS[_n] = lambda g, op=_n: gen_reduce(g, op)
for _n in ['transpose', 't', 'permute', 'reshape', 'flatten', 'squeeze', 'unsqueeze', 'expand', 'broadcastTo',
           'narrow', 'select', 'index', 'cat', 'stack', 'split', 'chunk', 'unbind', 'clone', 'contiguous', 'to']:
    GENERATORS[_n] = lambda g, op=_n: gen_movement(g, op)
for _n in ['gather', 'indexSelect', 'scatterAdd', 'indexAdd']:
    GENERATORS[_n] = lambda g, op=_n: gen_indexing(g, op)
for _n in ['mm', 'bmm', 'dot', 'addmm', 'matmul', 'linear']:
    GENERATORS[_n] = lambda g, op=_n: gen_linalg(g, op)
GENERATORS['where'] = lambda g: gen_where(g, 'where')
for _n in ['elu', 'silu', 'gelu', 'softplus']:
    GENERATORS[_n] = lambda g, op=_n: gen_activation(g, op)
for _n in ['l1Loss', 'mseLoss', 'smoothL1Loss', 'huberLoss', 'nllLoss', 'crossEntropy', 'binaryCrossEntropy',
           'binaryCrossEntropyWithLogits', 'klDiv']:
    GENERATORS[_n] = lambda g, op=_n: gen_loss(g, op)
for _n in ['conv1d', 'conv2d', 'convTranspose2d']:
    GENERATORS[_n] = lambda g, op=_n: gen_conv(g, op)
for _n in ['maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'adaptiveMaxPool2d']:
    GENERATORS[_n] = lambda g, op=_n: gen_pool(g, op)
ALL_OPS = sorted(GENERATORS)
BASE_OPS = [o for o in ALL_OPS if not o.endswith('_')]
# Ops that continue a chain well (follow-up ops after the program's focus op)
FOLLOW = [o for o in ALL_OPS if not o.endswith('_')]


# ---- replay in PyTorch with grads ----------------------------------------------------------------------------------

def weights_for(r, t):
    n = t.numel()
    data = [round(r.choice([-1, 1]) * r.uniform(0.1, 2), 2) for _ in range(n)]
    return torch.tensor(data, dtype=t.dtype).reshape(t.shape)


def replay(prog, r, double):
    """Runs the program with leaves that require grad; fills in results, grads and double grads."""
    vals, leaves, results, error = [], [], [], None
    specs = iter(prog['inputs'])
    produced = []  # the value indices of op results
    for k, rec in enumerate(prog['ops']):
        for _ in range(rec.get('n', 0)):
            spec = next(specs)
            base = torch.tensor([decode(v) for v in spec['data']], dtype=TORCH_DT[spec['dtype']]).reshape(spec['shape'])
            if spec['grad']:
                base.requires_grad_()
                leaves.append(base)
            vals.append(apply_steps(base, spec['steps']))
        try:
            outs = run_op(decode_rec(rec), vals)
        except Exception as e:
            error = {'at': k, 'type': type(e).__name__, 'message': str(e).split('\n')[0][:160]}
            break
        results.append([{**dump(o), 'rg': bool(o.requires_grad)} for o in outs])
        produced += range(len(vals), len(vals) + len(outs))
        vals.extend(outs)
    prog['results'] = results
    if error:
        prog['error'] = error
        return
    last = vals[len(vals) - len(results[-1]):] if results else []
    roots = [o for o in last if o.requires_grad]
    if not roots:
        return
    ws = [weights_for(r, o) for o in roots]
    loss = sum((o * w).sum() for o, w in zip(roots, ws))
    # every value that requires grad: leaf bases first (as `leaves`), then the op results
    targets = [i for i in produced if vals[i].requires_grad]
    try:
        gs = torch.autograd.grad(loss, leaves + [vals[i] for i in targets], allow_unused=True, retain_graph=True,
                                 create_graph=double)
    except Exception as e:
        prog['gradError'] = {'type': type(e).__name__, 'message': str(e).split('\n')[0][:160]}
        return
    prog['weights'] = [dump(w) for w in ws]
    prog['grads'] = [dump(g) if g is not None else None for g in gs[:len(leaves)]]
    prog['valueGrads'] = {str(i): (dump(g) if g is not None else None) for i, g in zip(targets, gs[len(leaves):])}
    if not double:
        return
    terms = []
    us = []
    for g in gs[:len(leaves)]:
        if g is not None and g.requires_grad:
            u = weights_for(r, g)
            terms.append((g * u).sum())
            us.append(dump(u))
        else:
            us.append(None)
    prog['gradWeights'] = us
    if not terms:
        prog['grads2'] = None
        return
    try:
        gg = torch.autograd.grad(sum(terms), leaves + [vals[i] for i in targets], allow_unused=True)
    except Exception as e:
        prog['grad2Error'] = {'type': type(e).__name__, 'message': str(e).split('\n')[0][:160]}
        return
    prog['grads2'] = [dump(x) if x is not None else None for x in gg[:len(leaves)]]
    prog['valueGrads2'] = {str(i): (dump(x) if x is not None else None) for i, x in zip(targets, gg[len(leaves):])}


def decode(v):
    if v == 'nan':
        return math.nan
    if v == 'inf':
        return math.inf
    if v == '-inf':
        return -math.inf
    return v


def decode_rec(rec):
    rec = dict(rec)
    if 'a' in rec:
        rec['a'] = [decode_any(v) for v in rec['a']]
    if 'kw' in rec:
        rec['kw'] = {k: decode_any(v) for k, v in rec['kw'].items()}
    return rec


def encode_any(v):
    if isinstance(v, list):
        return [encode_any(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return enc_num(v, 'float64')
    return v


def encode_rec(rec):
    rec = dict(rec)
    if 'a' in rec:
        rec['a'] = [encode_any(v) for v in rec['a']]
    if 'kw' in rec:
        rec['kw'] = {k: encode_any(v) for k, v in rec['kw'].items()}
    return rec


def decode_any(v):
    if isinstance(v, list):
        return [decode_any(x) for x in v]
    if isinstance(v, str) and v in ('nan', 'inf', '-inf'):
        return decode(v)
    return v


def int_overflow(g):
    return any(v.dtype == torch.int64 and v.numel() and (int(v.max()) >= INT32 or int(v.min()) < -INT32) for v in g.vals)


def make_program(r, focus):
    grad = r.random() < 0.85
    g = Gen(r, grad)
    n_ops = r.choice([1, 1, 2, 2, 3, 4, 5])
    try:
        GENERATORS[focus](g)
        for _ in range(n_ops - 1):
            GENERATORS[r.choice(FOLLOW)](g)
    except Stop:
        pass
    if int_overflow(g):
        return None
    prog = {'inputs': g.inputs, 'ops': g.ops}
    double = grad and len(g.ops) <= 3 and g.error is None and r.random() < 0.7
    replay(prog, r, double)
    if (g.error is None) != ('error' not in prog):
        return None  # the error depends on grad mode (should not happen); skip
    if 'invalid gradient' in prog.get('gradError', {}).get('message', ''):
        return None  # PyTorch's own autograd bug (StdBackward0 on a 1-element input): nothing to compare
    return prog


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--count', type=int, default=4000)
    ap.add_argument('--seed', type=int, default=20261202)
    ap.add_argument('--out', default=OUT)
    ap.add_argument('--trace', action='store_true', help='print each op before PyTorch runs it')
    args = ap.parse_args()
    global TRACE
    TRACE = args.trace
    r = random.Random(args.seed)
    programs = []
    i = 0
    while len(programs) < args.count:
        focus = BASE_OPS[i % len(BASE_OPS)]
        i += 1
        if focus + '_' in GENERATORS and r.random() < 0.25:
            focus += '_'
        p = make_program(r, focus)
        if p is not None:
            p['id'] = len(programs)
            programs.append(p)
    with open(args.out, 'w') as f:
        json.dump({'torch': torch.__version__, 'seed': args.seed, 'programs': programs}, f,
                  separators=(',', ':'))
    size = os.path.getsize(args.out)
    errors = sum(1 for p in programs if 'error' in p)
    doubles = sum(1 for p in programs if p.get('grads2') is not None)
    print(f'{len(programs)} programs ({errors} where PyTorch raises, {doubles} with double backward), '
          f'{size / 1e6:.2f} MB -> {os.path.relpath(args.out)}')


if __name__ == '__main__':
    main()
