#!/usr/bin/env python3
"""Writes test/fixtures/*.json from Debian's python3-torch (the oracle). Run: npm run fixtures.

Each case stores its inputs as base data plus a list of view steps (transpose, expand, slice, ...), so the
JavaScript test rebuilds the same strided inputs, runs the same op and compares with PyTorch's output.
"""
import json
import math
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_num_threads(1)


def enc(v):
    """JSON-safe numbers: nan/inf as strings."""
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
        return v
    if isinstance(v, bool):
        return v
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    return v


DTYPES = {torch.float32: 'float32', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}


def dump_tensor(t):
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': DTYPES[t.dtype], 'data': enc(t.reshape(-1).tolist())}


def apply_steps(t, steps):
    for s in steps:
        kind = s[0]
        if kind == 't':
            t = t.t()
        elif kind == 'transpose':
            t = t.transpose(s[1], s[2])
        elif kind == 'permute':
            t = t.permute(*s[1])
        elif kind == 'expand':
            t = t.expand(*s[1])
        elif kind == 'slice':
            _, dim, start, stop, step = s
            idx = [slice(None)] * t.dim()
            idx[dim] = slice(start, stop, step)
            t = t[tuple(idx)]
        elif kind == 'reshape':
            t = t.reshape(*s[1])
        elif kind == 'unsqueeze':
            t = t.unsqueeze(s[1])
        else:
            raise ValueError(kind)
    return t


class Input:
    def __init__(self, base, steps=()):
        self.base = base
        self.steps = list(steps)

    def tensor(self):
        return apply_steps(self.base.clone(), self.steps)

    def leaf(self):
        """The base as a leaf that requires grad (float only), and the view the op sees."""
        if self.base.dtype != torch.float32:
            return None, self.tensor()
        b = self.base.clone().requires_grad_()
        return b, apply_steps(b, self.steps)

    def dump(self):
        d = dump_tensor(self.base)
        d['steps'] = self.steps
        return d


gen = torch.Generator().manual_seed(20261129)


def randn(*shape):
    return torch.randn(*shape, generator=gen)


def positive(*shape):
    return torch.rand(*shape, generator=gen) * 3 + 0.1


def ints(*shape, lo=-5, hi=6):
    return torch.randint(lo, hi, shape, generator=gen)


def bools(*shape):
    return torch.rand(*shape, generator=gen) > 0.5


def variants(make, shape=(3, 4)):
    """The standard layouts of one operand: contiguous, transposed, broadcast, sliced, empty, size-1, 0-dim."""
    r, c = shape
    return {
        'contiguous': Input(make(r, c)),
        'transposed': Input(make(c, r), [['t']]),
        'broadcast': Input(make(r, 1), [['expand', [r, c]]]),
        'sliced': Input(make(r * 2, c + 3), [['slice', 0, 0, None, 2], ['slice', 1, 1, c + 1, 1]]),
    }



def main():
    global cases, creation, rng, printing, grad2
    cases = []


    # Ops whose gradients are checked too: every float case of these gets an upstream gradient and the
    # gradients of its base tensors (through the view steps, so transposed/broadcast/sliced inputs are covered).
    DIFFERENTIABLE = {
        'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'remainder', 'addAlpha', 'addScalar', 'subScalar',
        'mulScalar', 'divScalar', 'powScalar', 'neg', 'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin',
        'cos', 'tanh', 'sigmoid', 'relu', 'sign', 'floor', 'ceil', 'round', 'trunc', 'reciprocal', 'erf', 'square',
        'clamp', 'leakyRelu', 'where', 'sum', 'mean', 'prod', 'maxAll', 'minAll', 'maxDim', 'minDim', 'amax', 'var',
        'std', 'varAll', 'logsumexp', 'softmax', 'logSoftmax', 'matmul', 'mm', 'bmm', 'addmm', 'dot', 'contiguous',
        'reshape', 'flatten', 'permute', 'squeeze', 'unsqueeze', 'narrow', 'select', 'cat', 'stack', 'split', 'chunk',
        'gather', 'indexSelect',
    }


    def add_case(group, name, op, inputs, args=(), tol=(0.0, 0.0)):
        ts = [i.tensor() for i in inputs]
        out = PY_OPS[op](ts, list(args))
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        case = {
            'group': group,
            'name': name,
            'op': op,
            'inputs': [i.dump() for i in inputs],
            'args': enc(list(args)),
            'outs': [dump_tensor(o) for o in outs],
            'rtol': tol[0],
            'atol': tol[1],
        }
        if op in DIFFERENTIABLE and any(i.base.dtype == torch.float32 for i in inputs):
            pairs = [i.leaf() for i in inputs]
            res = PY_OPS[op]([v for _, v in pairs], list(args))
            res = list(res) if isinstance(res, (tuple, list)) else [res]
            roots = [r for r in res if r.requires_grad]
            if roots and all(r.numel() > 0 for r in roots):
                ups = [torch.randn(r.shape, generator=gen) for r in roots]
                torch.autograd.backward(roots, ups)
                case['upstream'] = [dump_tensor(u) for u in ups]
                case['grads'] = [dump_tensor(b.grad) if b is not None and b.grad is not None else None for b, _ in pairs]
        cases.append(case)


    def opt_dim(a, i):
        return a[i] if len(a) > i else None


    PY_OPS = {
        # binary
        'add': lambda t, a: torch.add(t[0], t[1]),
        'sub': lambda t, a: torch.sub(t[0], t[1]),
        'mul': lambda t, a: torch.mul(t[0], t[1]),
        'div': lambda t, a: torch.div(t[0], t[1]),
        'pow': lambda t, a: torch.pow(t[0], t[1]),
        'maximum': lambda t, a: torch.maximum(t[0], t[1]),
        'minimum': lambda t, a: torch.minimum(t[0], t[1]),
        'remainder': lambda t, a: torch.remainder(t[0], t[1]),
        'floorDivide': lambda t, a: torch.floor_divide(t[0], t[1]),
        'eq': lambda t, a: torch.eq(t[0], t[1]),
        'ne': lambda t, a: torch.ne(t[0], t[1]),
        'lt': lambda t, a: torch.lt(t[0], t[1]),
        'le': lambda t, a: torch.le(t[0], t[1]),
        'gt': lambda t, a: torch.gt(t[0], t[1]),
        'ge': lambda t, a: torch.ge(t[0], t[1]),
        'logicalAnd': lambda t, a: torch.logical_and(t[0], t[1]),
        'logicalOr': lambda t, a: torch.logical_or(t[0], t[1]),
        'logicalXor': lambda t, a: torch.logical_xor(t[0], t[1]),
        'addAlpha': lambda t, a: torch.add(t[0], t[1], alpha=a[0]),
        # with a scalar
        'addScalar': lambda t, a: t[0] + a[0],
        'subScalar': lambda t, a: t[0] - a[0],
        'mulScalar': lambda t, a: t[0] * a[0],
        'divScalar': lambda t, a: t[0] / a[0],
        'powScalar': lambda t, a: torch.pow(t[0], a[0]),
        'gtScalar': lambda t, a: t[0] > a[0],
        'eqScalar': lambda t, a: t[0] == a[0],
        # unary
        'neg': lambda t, a: torch.neg(t[0]),
        'abs': lambda t, a: torch.abs(t[0]),
        'exp': lambda t, a: torch.exp(t[0]),
        'log': lambda t, a: torch.log(t[0]),
        'log1p': lambda t, a: torch.log1p(t[0]),
        'expm1': lambda t, a: torch.expm1(t[0]),
        'sqrt': lambda t, a: torch.sqrt(t[0]),
        'rsqrt': lambda t, a: torch.rsqrt(t[0]),
        'sin': lambda t, a: torch.sin(t[0]),
        'cos': lambda t, a: torch.cos(t[0]),
        'tanh': lambda t, a: torch.tanh(t[0]),
        'sigmoid': lambda t, a: torch.sigmoid(t[0]),
        'relu': lambda t, a: torch.relu(t[0]),
        'sign': lambda t, a: torch.sign(t[0]),
        'floor': lambda t, a: torch.floor(t[0]),
        'ceil': lambda t, a: torch.ceil(t[0]),
        'round': lambda t, a: torch.round(t[0]),
        'trunc': lambda t, a: torch.trunc(t[0]),
        'reciprocal': lambda t, a: torch.reciprocal(t[0]),
        'erf': lambda t, a: torch.erf(t[0]),
        'square': lambda t, a: torch.square(t[0]),
        'logicalNot': lambda t, a: torch.logical_not(t[0]),
        'clamp': lambda t, a: torch.clamp(t[0], a[0], a[1]),
        'leakyRelu': lambda t, a: torch.nn.functional.leaky_relu(t[0], a[0]),
        'where': lambda t, a: torch.where(t[0], t[1], t[2]),
        'toFloat': lambda t, a: t[0].float(),
        'toInt': lambda t, a: t[0].long(),
        'toBool': lambda t, a: t[0].bool(),
        # reductions
        'sum': lambda t, a: t[0].sum() if not a else torch.sum(t[0], a[0], keepdim=a[1]),
        'mean': lambda t, a: t[0].mean() if not a else torch.mean(t[0], a[0], keepdim=a[1]),
        'prod': lambda t, a: t[0].prod() if not a else torch.prod(t[0], a[0], keepdim=a[1]),
        'maxAll': lambda t, a: t[0].max(),
        'minAll': lambda t, a: t[0].min(),
        'maxDim': lambda t, a: tuple(torch.max(t[0], a[0], keepdim=a[1])),
        'minDim': lambda t, a: tuple(torch.min(t[0], a[0], keepdim=a[1])),
        'amax': lambda t, a: torch.amax(t[0], a[0], keepdim=a[1]),
        'argmax': lambda t, a: torch.argmax(t[0]) if not a else torch.argmax(t[0], a[0], keepdim=a[1]),
        'argmin': lambda t, a: torch.argmin(t[0]) if not a else torch.argmin(t[0], a[0], keepdim=a[1]),
        'var': lambda t, a: torch.var(t[0], a[0], unbiased=a[1], keepdim=a[2]),
        'std': lambda t, a: torch.std(t[0], a[0], unbiased=a[1], keepdim=a[2]),
        'varAll': lambda t, a: torch.var(t[0], unbiased=a[0]),
        'logsumexp': lambda t, a: torch.logsumexp(t[0], a[0], keepdim=a[1]),
        'softmax': lambda t, a: torch.softmax(t[0], a[0]),
        'logSoftmax': lambda t, a: torch.log_softmax(t[0], a[0]),
        # linear algebra
        'matmul': lambda t, a: torch.matmul(t[0], t[1]),
        'mm': lambda t, a: torch.mm(t[0], t[1]),
        'bmm': lambda t, a: torch.bmm(t[0], t[1]),
        'addmm': lambda t, a: torch.addmm(t[0], t[1], t[2], beta=a[0], alpha=a[1]),
        'dot': lambda t, a: torch.dot(t[0], t[1]),
        # movement and indexing
        'contiguous': lambda t, a: t[0].contiguous(),
        'reshape': lambda t, a: t[0].reshape(a[0]),
        'flatten': lambda t, a: t[0].flatten(a[0], a[1]),
        'permute': lambda t, a: t[0].permute(*a[0]),
        'squeeze': lambda t, a: t[0].squeeze(a[0]) if a else t[0].squeeze(),
        'unsqueeze': lambda t, a: t[0].unsqueeze(a[0]),
        'narrow': lambda t, a: t[0].narrow(a[0], a[1], a[2]),
        'select': lambda t, a: t[0].select(a[0], a[1]),
        'cat': lambda t, a: torch.cat(t, a[0]),
        'stack': lambda t, a: torch.stack(t, a[0]),
        'split': lambda t, a: torch.split(t[0], a[0], a[1]),
        'chunk': lambda t, a: torch.chunk(t[0], a[0], a[1]),
        'gather': lambda t, a: torch.gather(t[0], a[0], t[1]),
        'indexSelect': lambda t, a: torch.index_select(t[0], a[0], t[1]),
        'copy_': lambda t, a: t[0].clone().copy_(t[1]),
        'addInPlace': lambda t, a: t[0].clone().add_(t[1]),
        'mulInPlace': lambda t, a: t[0].clone().mul_(a[0]),
    }

    ULP = (2e-6, 1e-6)      # transcendental kernels: PyTorch uses SLEEF approximations, torchlet libm
    SUM = (1e-5, 1e-6)      # reductions: different summation order

    # ---- binary ops on every layout ------------------------------------------------------------------------
    for op in ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']:
        xs = variants(randn)
        ys = variants(randn)
        for name, x in xs.items():
            add_case('binary', f'{op} {name}', op, [x, ys['contiguous']])
        add_case('binary', f'{op} row-col broadcast', op, [Input(randn(3, 1)), Input(randn(1, 4))])
        add_case('binary', f'{op} rank broadcast', op, [Input(randn(2, 3, 4)), Input(randn(4))])
        add_case('binary', f'{op} empty', op, [Input(randn(0, 4)), Input(randn(1, 4))])
        add_case('binary', f'{op} 0-dim', op, [Input(randn(3, 4)), Input(randn(()))])
        add_case('binary', f'{op} size-1 dims', op, [Input(randn(1, 3, 1)), Input(randn(1, 3, 1))])
    for op in ['add', 'sub', 'mul', 'maximum', 'minimum', 'remainder', 'floorDivide', 'eq', 'lt']:
        add_case('binary', f'{op} int32', op, [Input(ints(3, 4)), Input(ints(3, 4, lo=1, hi=5))])
    add_case('binary', 'add int32 + float32 promotes', 'add', [Input(ints(3, 4)), Input(randn(3, 4))])
    add_case('binary', 'div int32 is true division', 'div', [Input(ints(3, 4)), Input(ints(3, 4, lo=1, hi=5))])
    add_case('binary', 'pow', 'pow', [Input(positive(3, 4)), Input(randn(3, 4))], tol=ULP)
    add_case('binary', 'pow transposed base', 'pow', [Input(positive(4, 3), [['t']]), Input(randn(3, 4))], tol=ULP)
    for op in ['remainder', 'floorDivide']:
        add_case('binary', f'{op} float', op, [Input(randn(3, 4) * 5), Input(positive(3, 4) * torch.sign(randn(3, 4)))], tol=(1e-6, 1e-6))
    for op in ['logicalAnd', 'logicalOr', 'logicalXor']:
        add_case('binary', f'{op} bool', op, [Input(bools(3, 4)), Input(bools(3, 4))])
        add_case('binary', f'{op} float', op, [Input(randn(3, 4).round()), Input(bools(1, 4), [['expand', [3, 4]]])])
    add_case('binary', 'add alpha', 'addAlpha', [Input(randn(3, 4)), Input(randn(3, 4))], [0.5])

    for op, vals in [('addScalar', [2.5, 3]), ('subScalar', [1.25]), ('mulScalar', [0.1, 3]), ('divScalar', [7, 0.3]),
                     ('powScalar', [2, 3, 0.5, -1, -2, -0.5, 1.7]), ('gtScalar', [0.0]), ('eqScalar', [0])]:
        for v in vals:
            base = positive if op == 'powScalar' else randn
            tol = ULP if op == 'powScalar' else (0.0, 0.0)
            add_case('scalar', f'{op} {v}', op, [Input(base(4, 3), [['t']])], [v], tol)
    add_case('scalar', 'int32 + int scalar stays int', 'addScalar', [Input(ints(3, 4))], [3])
    add_case('scalar', 'int32 * float scalar promotes', 'mulScalar', [Input(ints(3, 4))], [0.5])

    # ---- unary ops -----------------------------------------------------------------------------------------
    UNARY = {
        'neg': (randn, (0, 0)), 'abs': (randn, (0, 0)), 'exp': (randn, ULP), 'log': (positive, ULP),
        'log1p': (positive, ULP), 'expm1': (randn, ULP), 'sqrt': (positive, ULP), 'rsqrt': (positive, ULP),
        'sin': (randn, ULP), 'cos': (randn, ULP), 'tanh': (randn, ULP), 'sigmoid': (randn, ULP), 'relu': (randn, (0, 0)),
        'sign': (randn, (0, 0)), 'floor': (lambda *s: randn(*s) * 3, (0, 0)), 'ceil': (lambda *s: randn(*s) * 3, (0, 0)),
        'round': (lambda *s: torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, 3.5, 0.49, -3.5, 7.5, 8.5]).reshape(*s)
                  if s == (3, 4) else randn(*s) * 3, (0, 0)),
        'trunc': (lambda *s: randn(*s) * 3, (0, 0)), 'reciprocal': (randn, ULP), 'erf': (randn, ULP),
        'square': (randn, (0, 0)),
    }
    for op, (make, tol) in UNARY.items():
        for name, x in variants(make).items():
            add_case('unary', f'{op} {name}', op, [x], tol=tol)
        add_case('unary', f'{op} empty', op, [Input(make(0, 3))], tol=tol)
    for op in ['neg', 'abs', 'sign', 'relu', 'square']:
        add_case('unary', f'{op} int32', op, [Input(ints(3, 4))])
    for op in ['exp', 'sqrt', 'sigmoid']:
        add_case('unary', f'{op} int32 gives float', op, [Input(ints(3, 4, lo=0, hi=5))], tol=ULP)
    add_case('unary', 'logicalNot float', 'logicalNot', [Input(randn(3, 4).round())])
    add_case('unary', 'logicalNot bool', 'logicalNot', [Input(bools(3, 4))])
    for lo, hi in [(-0.5, 0.5), (None, 0.2), (-0.1, None)]:
        add_case('unary', f'clamp {lo} {hi}', 'clamp', [Input(randn(4, 3), [['t']])], [lo, hi])
    add_case('unary', 'clamp int32', 'clamp', [Input(ints(3, 4))], [-2, 3])
    add_case('unary', 'leakyRelu', 'leakyRelu', [Input(randn(3, 4))], [0.2])
    add_case('unary', 'where', 'where', [Input(bools(3, 1)), Input(randn(4), [['unsqueeze', 0]]), Input(randn(3, 4), [['slice', 1, 0, None, 1]])])
    add_case('unary', 'where int', 'where', [Input(bools(3, 4)), Input(ints(3, 4)), Input(ints(1, 4))])
    add_case('unary', 'float to int truncates', 'toInt', [Input(randn(3, 4) * 4)])
    add_case('unary', 'int to float', 'toFloat', [Input(ints(4, 3), [['t']])])
    add_case('unary', 'float to bool', 'toBool', [Input(randn(3, 4).round())])

    # ---- reductions ----------------------------------------------------------------------------------------
    for op in ['sum', 'mean', 'prod']:
        for name, x in variants(randn).items():
            add_case('reduce', f'{op} all {name}', op, [x], tol=SUM)
            for dim, keep in [(0, False), (1, True), (-1, False)]:
                add_case('reduce', f'{op} dim {dim} keep {keep} {name}', op, [x], [dim, keep], tol=SUM)
        if op != 'prod':
            add_case('reduce', f'{op} dims [0, 2]', op, [Input(randn(2, 3, 4))], [[0, 2], True], tol=SUM)
        add_case('reduce', f'{op} empty dim', op, [Input(randn(0, 3))], [0, False], tol=SUM)
    add_case('reduce', 'sum int32', 'sum', [Input(ints(3, 4))], [1, False])
    add_case('reduce', 'sum bool', 'sum', [Input(bools(3, 4))])
    for name, x in variants(randn).items():
        add_case('reduce', f'max all {name}', 'maxAll', [x])
        add_case('reduce', f'min all {name}', 'minAll', [x])
        add_case('reduce', f'max dim 1 {name}', 'maxDim', [x], [1, False])
        add_case('reduce', f'min dim 0 keep {name}', 'minDim', [x], [0, True])
        add_case('reduce', f'argmax all {name}', 'argmax', [x])
        add_case('reduce', f'argmin dim -1 {name}', 'argmin', [x], [-1, False])
        add_case('reduce', f'amax dims {name}', 'amax', [x], [[0, 1], False])
        add_case('reduce', f'var dim 1 {name}', 'var', [x], [1, True, False], tol=SUM)
        add_case('reduce', f'var dim 0 biased {name}', 'var', [x], [0, False, True], tol=SUM)
        add_case('reduce', f'std dim 1 {name}', 'std', [x], [1, True, False], tol=SUM)
        add_case('reduce', f'logsumexp {name}', 'logsumexp', [x], [1, False], tol=SUM)
        add_case('reduce', f'softmax dim 1 {name}', 'softmax', [x], [1], tol=SUM)
        add_case('reduce', f'softmax dim 0 {name}', 'softmax', [x], [0], tol=SUM)
        add_case('reduce', f'logSoftmax dim 1 {name}', 'logSoftmax', [x], [1], tol=SUM)
    add_case('reduce', 'max ties keep the first index', 'maxDim', [Input(torch.tensor([[1., 3., 3.], [2., 2., 1.]]))], [1, False])
    add_case('reduce', 'argmax int32', 'argmax', [Input(ints(3, 4))], [1, False])
    add_case('reduce', 'var all', 'varAll', [Input(randn(3, 4))], [True], tol=SUM)
    add_case('reduce', 'logsumexp with -inf row', 'logsumexp', [Input(torch.tensor([[float('-inf')] * 3, [1., 2., 3.]]))], [1, False], tol=SUM)

    # ---- matmul --------------------------------------------------------------------------------------------
    MM = (1e-5, 1e-5)
    add_case('matmul', '1-D @ 1-D', 'matmul', [Input(randn(5)), Input(randn(5))], tol=MM)
    add_case('matmul', '2-D @ 2-D', 'matmul', [Input(randn(3, 5)), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '2-D.t @ 2-D', 'matmul', [Input(randn(5, 3), [['t']]), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '2-D @ 2-D.t', 'matmul', [Input(randn(3, 5)), Input(randn(4, 5), [['t']])], tol=MM)
    add_case('matmul', '2-D.t @ 2-D.t', 'matmul', [Input(randn(5, 3), [['t']]), Input(randn(4, 5), [['t']])], tol=MM)
    add_case('matmul', 'sliced @ sliced', 'matmul',
             [Input(randn(6, 7), [['slice', 0, 0, None, 2], ['slice', 1, 1, 6, 1]]), Input(randn(5, 8), [['slice', 1, 0, None, 2]])], tol=MM)
    add_case('matmul', 'broadcast rows', 'matmul', [Input(randn(1, 5), [['expand', [3, 5]]]), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '1-D @ 2-D', 'matmul', [Input(randn(5)), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '2-D @ 1-D', 'matmul', [Input(randn(3, 5)), Input(randn(5))], tol=MM)
    add_case('matmul', '3-D @ 2-D', 'matmul', [Input(randn(2, 3, 5)), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '3-D.transposed @ 2-D', 'matmul', [Input(randn(2, 5, 3), [['transpose', 1, 2]]), Input(randn(5, 4))], tol=MM)
    add_case('matmul', '2-D @ 3-D', 'matmul', [Input(randn(3, 5)), Input(randn(2, 5, 4))], tol=MM)
    add_case('matmul', '3-D @ 1-D', 'matmul', [Input(randn(2, 3, 5)), Input(randn(5))], tol=MM)
    add_case('matmul', '1-D @ 3-D', 'matmul', [Input(randn(5)), Input(randn(2, 5, 4))], tol=MM)
    add_case('matmul', 'batch broadcast 4-D @ 3-D', 'matmul', [Input(randn(2, 1, 3, 5)), Input(randn(3, 5, 4))], tol=MM)
    add_case('matmul', 'empty inner dim', 'matmul', [Input(randn(3, 0)), Input(randn(0, 4))], tol=MM)
    add_case('matmul', 'empty rows', 'matmul', [Input(randn(0, 5)), Input(randn(5, 4))], tol=MM)
    add_case('matmul', 'size-1 dims', 'matmul', [Input(randn(1, 1)), Input(randn(1, 1))], tol=MM)
    add_case('matmul', 'mm', 'mm', [Input(randn(4, 6), [['t']]), Input(randn(4, 2))], tol=MM)
    add_case('matmul', 'bmm', 'bmm', [Input(randn(2, 3, 5)), Input(randn(2, 4, 5), [['transpose', 1, 2]])], tol=MM)
    add_case('matmul', 'bmm batch-strided', 'bmm', [Input(randn(3, 2, 5), [['transpose', 0, 1]]), Input(randn(2, 5, 4))], tol=MM)
    add_case('matmul', 'addmm', 'addmm', [Input(randn(4)), Input(randn(3, 5)), Input(randn(4, 5), [['t']])], [0.5, 2.0], tol=MM)
    add_case('matmul', 'addmm beta 0', 'addmm', [Input(randn(3, 4)), Input(randn(3, 5)), Input(randn(5, 4))], [0.0, 1.0], tol=MM)
    add_case('matmul', 'dot', 'dot', [Input(randn(7)), Input(randn(14), [['slice', 0, 0, None, 2]])], tol=MM)
    add_case('matmul', 'large', 'matmul', [Input(randn(33, 70)), Input(randn(70, 45))], tol=(1e-4, 1e-4))

    # ---- movement and indexing -----------------------------------------------------------------------------
    for name, x in variants(randn).items():
        add_case('movement', f'contiguous {name}', 'contiguous', [x])
        add_case('movement', f'reshape {name}', 'reshape', [x], [[2, 6]])
        add_case('movement', f'flatten {name}', 'flatten', [x], [0, -1])
        add_case('movement', f'narrow {name}', 'narrow', [x], [1, 1, 2])
        add_case('movement', f'select {name}', 'select', [x], [0, -1])
    add_case('movement', 'permute 3-D', 'permute', [Input(randn(2, 3, 4))], [[2, 0, 1]])
    add_case('movement', 'squeeze all', 'squeeze', [Input(randn(1, 3, 1))])
    add_case('movement', 'squeeze dim', 'squeeze', [Input(randn(1, 3, 1))], [2])
    add_case('movement', 'unsqueeze -1', 'unsqueeze', [Input(randn(3, 4), [['t']])], [-1])
    add_case('movement', 'flatten middle', 'flatten', [Input(randn(2, 3, 4, 5))], [1, 2])
    add_case('movement', 'cat dim 0', 'cat', [Input(randn(2, 4)), Input(randn(4, 3), [['t']])], [0])
    add_case('movement', 'cat dim 1 with empty', 'cat', [Input(randn(3, 2)), Input(randn(3, 0)), Input(randn(3, 1), [['expand', [3, 2]]])], [1])
    add_case('movement', 'cat int', 'cat', [Input(ints(2, 3)), Input(ints(1, 3))], [0])
    add_case('movement', 'stack dim 1', 'stack', [Input(randn(3, 4)), Input(randn(4, 3), [['t']])], [1])
    add_case('movement', 'split size', 'split', [Input(randn(5, 3))], [2, 0])
    add_case('movement', 'split sizes', 'split', [Input(randn(3, 6))], [[1, 2, 3], 1])
    add_case('movement', 'chunk', 'chunk', [Input(randn(7, 2))], [3, 0])
    add_case('movement', 'gather dim 1', 'gather', [Input(randn(3, 5)), Input(torch.randint(0, 5, (3, 4), generator=gen))], [1])
    add_case('movement', 'gather dim 0 transposed', 'gather', [Input(randn(5, 3), [['t']]), Input(torch.randint(0, 3, (2, 5), generator=gen))], [0])
    add_case('movement', 'indexSelect dim 0', 'indexSelect', [Input(randn(4, 3)), Input(torch.tensor([3, 0, 0, 2]))], [0])
    add_case('movement', 'indexSelect dim 1 sliced', 'indexSelect', [Input(randn(4, 6), [['slice', 1, 0, None, 2]]), Input(torch.tensor([2, 1]))], [1])
    add_case('movement', 'copy_ broadcast', 'copy_', [Input(randn(3, 4)), Input(randn(4))])
    add_case('movement', 'add_ transposed', 'addInPlace', [Input(randn(3, 4)), Input(randn(4, 3), [['t']])])
    add_case('movement', 'mul_ scalar', 'mulInPlace', [Input(randn(3, 4))], [2.5])

    # ---- second derivatives (createGraph) ------------------------------------------------------------------
    grad2 = []


    def grad2_case(name, fn, inputs):
        """h = sum(v * d(sum(u * fn(x)))/dx) for random u, v; stores d h / d x for every input."""
        leaves = [i.clone().requires_grad_() for i in inputs]
        y = fn(*leaves)
        u = torch.randn(y.shape, generator=gen)
        gs = torch.autograd.grad((y * u).sum(), leaves, create_graph=True)
        vs = [torch.randn(g.shape, generator=gen) for g in gs]
        h = sum((g * v).sum() for g, v in zip(gs, vs))
        h.backward()
        grad2.append({'name': name, 'inputs': [dump_tensor(i) for i in inputs], 'u': dump_tensor(u),
                      'v': [dump_tensor(v) for v in vs], 'first': [dump_tensor(g) for g in gs],
                      'second': [dump_tensor(l.grad) for l in leaves]})


    grad2_case('mul', lambda a, b: a * b, [randn(3, 4), randn(3, 4)])
    grad2_case('div', lambda a, b: a / b, [randn(3, 4), positive(3, 4)])
    grad2_case('exp', lambda a: a.exp(), [randn(3, 4)])
    grad2_case('log', lambda a: a.log(), [positive(3, 4)])
    grad2_case('tanh', lambda a: a.tanh(), [randn(3, 4)])
    grad2_case('sigmoid', lambda a: a.sigmoid(), [randn(3, 4)])
    grad2_case('sin', lambda a: a.sin(), [randn(3, 4)])
    grad2_case('pow 3', lambda a: a.pow(3), [randn(3, 4)])
    grad2_case('sqrt', lambda a: a.sqrt(), [positive(3, 4)])
    grad2_case('matmul', lambda a, b: a @ b, [randn(3, 5), randn(5, 4)])
    grad2_case('matmul of squares', lambda a, b: (a * a) @ b.t(), [randn(3, 5), randn(4, 5)])
    grad2_case('broadcast mul', lambda a, b: a * b.exp(), [randn(3, 4), randn(4)])

    # ---- creation ------------------------------------------------------------------------------------------
    creation = []
    for args in [[5], [2, 9, 3], [1, 4], [0, 1, 0.1], [-1.5, 2.5, 0.5], [10, 0, -3]]:
        creation.append({'op': 'arange', 'args': args, 'out': dump_tensor(torch.arange(*args))})
    for args in [[0, 1, 5], [-2, 3, 7], [0, 1, 1], [0, 1, 0], [3.3, -1.7, 11], [0, 10, 100], [0, 1, 33], [-5, 5, 1000], [1, 2, 17]]:
        creation.append({'op': 'linspace', 'args': args, 'out': dump_tensor(torch.linspace(*args))})
    for args in [[3], [2, 4], [0]]:
        creation.append({'op': 'eye', 'args': args, 'out': dump_tensor(torch.eye(*args))})
    for args in [[[2, 3], 1.5], [[2], True]]:
        creation.append({'op': 'full', 'args': args, 'out': dump_tensor(torch.full(*args))})
    creation.append({'op': 'tensor', 'args': [[[1, 2], [3, 4]]], 'out': dump_tensor(torch.tensor([[1., 2], [3, 4]]))})

    # ---- random streams ------------------------------------------------------------------------------------
    rng = []


    def rng_case(name, seed, calls):
        """calls: list of (op, args); every output in order, from one seeded default generator."""
        torch.manual_seed(seed)
        outs = []
        for op, args in calls:
            if op == 'rand':
                outs.append(torch.rand(*args))
            elif op == 'randn':
                outs.append(torch.randn(*args))
            elif op == 'randint':
                outs.append(torch.randint(args[0], args[1], tuple(args[2])))
            elif op == 'randperm':
                outs.append(torch.randperm(args[0]))
            elif op == 'uniform_':
                outs.append(torch.empty(*args[0]).uniform_(args[1], args[2]))
            elif op == 'normal_':
                outs.append(torch.empty(*args[0]).normal_(args[1], args[2]))
            else:
                raise ValueError(op)
        # normal samples come from polynomial approximations in PyTorch's AVX2 kernel: a few ulp
        rng.append({'name': name, 'seed': seed, 'calls': [[op, enc(args)] for op, args in calls],
                    'outs': [dump_tensor(o) for o in outs]})


    rng_case('rand 5 (pytorch-semantics check)', 0, [('rand', [5])])
    rng_case('rand shapes and stream continuation', 42, [('rand', [3, 4]), ('rand', [1000]), ('rand', [7])])
    rng_case('randn 3 (double path)', 0, [('randn', [3])])
    rng_case('randn cached second sample', 0, [('randn', [3]), ('randn', [1]), ('randn', [2])])
    rng_case('randn 16 (vector path)', 0, [('randn', [16])])
    rng_case('randn 17 and 100 (tail redraw)', 7, [('randn', [17]), ('randn', [100]), ('randn', [5])])
    rng_case('randn large', 123, [('randn', [64, 33])])
    rng_case('randint', 0, [('randint', [0, 10, [20]]), ('randint', [-5, 5, [3, 4]]), ('randint', [0, 2 ** 31 - 1, [6]])])
    rng_case('randperm', 0, [('randperm', [10]), ('randperm', [1]), ('randperm', [100])])
    rng_case('uniform_ and normal_', 3, [('uniform_', [[3, 4], -2, 3]), ('normal_', [[20], 1, 2]), ('normal_', [[4], -1, 0.5])])
    rng_case('large seed', 2 ** 40 + 17, [('rand', [4]), ('randn', [4])])

    # ---- printing ------------------------------------------------------------------------------------------
    printing = []


    def print_case(name, t, steps=()):
        base = t
        shown = apply_steps(base.clone(), list(steps))
        printing.append({'name': name, 'input': Input(base, list(steps)).dump(), 'text': str(shown)})


    torch.manual_seed(0)
    print_case('seed thread a', torch.rand(1, 1))
    print_case('vector', torch.tensor([1.5, -2.25, 3.0]))
    print_case('integers in float', torch.tensor([[1., 2.], [30., -4.]]))
    print_case('int64', torch.tensor([[1, -22], [333, 4]]))
    print_case('bool', torch.tensor([True, False, True]))
    print_case('scientific', torch.tensor([1e-5, 1.0, 12345.678]))
    print_case('large ints sci', torch.tensor([1.0, 1e9]))
    print_case('0-dim', torch.tensor(3.14159))
    print_case('0-dim int', torch.tensor(7))
    print_case('empty', torch.zeros(0))
    print_case('empty 2-D', torch.zeros(0, 3))
    print_case('3-D', torch.randn(2, 2, 3))
    print_case('transposed', torch.randn(3, 2), [['t']])
    print_case('long row wraps', torch.randn(20))
    print_case('summarized', torch.randn(40, 40))
    print_case('summarized 1-D', torch.arange(2000.0))
    print_case('nan and inf', torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5]))
    print_case('negative zero', torch.tensor([-0.0, 1.25]))
    print_case('ties round half even', torch.tensor([0.03125, 0.09375, 1.5]))
    print_case('all zeros', torch.zeros(2, 2))

    os.makedirs(OUT, exist_ok=True)
    meta = {'torch': torch.__version__, 'python': sys.version.split()[0]}
    for fname, payload in [('ops.json', cases), ('creation.json', creation), ('random.json', rng), ('print.json', printing),
                           ('grad2.json', grad2)]:
        with open(os.path.join(OUT, fname), 'w') as f:
            json.dump({'generator': 'scripts/gen_fixtures.py', **meta, 'cases': payload}, f, separators=(',', ':'))
        print(f'{fname}: {len(payload)} cases')


if __name__ == '__main__':
    main()
    import runpy
    here = os.path.dirname(os.path.abspath(__file__))
    for script in ['gen_nn_fixtures.py', 'gen_conv_fixtures.py']:
        runpy.run_path(os.path.join(here, script), run_name='__main__')
