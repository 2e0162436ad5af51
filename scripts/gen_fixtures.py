#!/usr/bin/env python3
"""Writes test/fixtures/*.json from Debian's python3-torch (the oracle). Run: npm run fixtures.

Each case stores its inputs as base data plus a list of view steps (transpose, expand, slice, ...), so the
JavaScript test rebuilds the same strided inputs, runs the same op and compares with PyTorch's output.
"""
import json
import math
import os
import re
import sys

import torch
from torch.autograd.gradcheck import GradcheckError

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


DTYPES = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}


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
            t = t.expand(s[1])  # the list form also takes [] (a 0-d target)
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
        """The base as a leaf that requires grad (floating only), and the view the op sees."""
        if not self.base.is_floating_point():
            return None, self.tensor()
        b = self.base.clone().requires_grad_()
        return b, apply_steps(b, self.steps)

    def dump(self):
        d = dump_tensor(self.base)
        d['steps'] = self.steps
        return d


gen = torch.Generator().manual_seed(20261129)
# The floating dtype the op cases are drawn in: float32, then the whole set again in float64.
FLOAT = torch.float32


def randn(*shape):
    return torch.randn(*shape, generator=gen, dtype=FLOAT)


def positive(*shape):
    return torch.rand(*shape, generator=gen, dtype=FLOAT) * 3 + 0.1


def ints(*shape, lo=-5, hi=6):
    return torch.randint(lo, hi, shape, generator=gen)


def bools(*shape):
    return torch.rand(*shape, generator=gen) > 0.5


def snake(name):
    return re.sub('[A-Z]', lambda m: '_' + m.group(0).lower(), name)


def table_call(name, tensors, args):
    """A pointwise table op as torchlet's table spells it: the operands (tensors, then numbers), then parameters.
    A name ending in '_' is the in-place form, applied to a clone of the first tensor."""
    operands = list(tensors) + list(args)
    if name.endswith('_'):
        x = operands[0].clone()
        # leaky_relu_ is nn.functional's, not a Tensor method
        fn = getattr(x, snake(name), None) or (lambda *rest: getattr(torch.nn.functional, snake(name))(x, *rest))
        operands = operands[1:]
    else:
        fn = getattr(torch, snake(name), None) or getattr(torch.nn.functional, snake(name))
    # add and sub take alpha after the two operands (the in-place form after the one).
    if name.rstrip('_') in ('add', 'sub') and len(operands) == (2 if name.endswith('_') else 3):
        return fn(*operands[:-1], alpha=operands[-1])
    return fn(*operands)


def variants(make, shape=(3, 4)):
    """The standard layouts of one operand: contiguous, transposed, broadcast, sliced, empty, size-1, 0-dim."""
    r, c = shape
    return {
        'contiguous': Input(make(r, c)),
        'transposed': Input(make(c, r), [['t']]),
        'broadcast': Input(make(r, 1), [['expand', [r, c]]]),
        'sliced': Input(make(r * 2, c + 3), [['slice', 0, 0, None, 2], ['slice', 1, 1, c + 1, 1]]),
    }



# The ops outside the pointwise table, spelled as in PyTorch (table ops go through table_call).
PY_OPS = {
    'where': lambda t, a: torch.where(t[0], t[1], t[2]),
    'toFloat': lambda t, a: t[0].float(),
    'toInt': lambda t, a: t[0].long(),
    'toBool': lambda t, a: t[0].bool(),
    'toDouble': lambda t, a: t[0].double(),
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
    # a number first: pow(2.5, x)
    'powScalarBase': lambda t, a: torch.pow(a[0], t[0]),
    # the composite activations of nn.functional (their dtype checks)
    'elu': lambda t, a: torch.nn.functional.elu(t[0]),
    'silu': lambda t, a: torch.nn.functional.silu(t[0]),
    'gelu': lambda t, a: torch.nn.functional.gelu(t[0]),
    'softplus': lambda t, a: torch.nn.functional.softplus(t[0]),
}


def torch_error(e):
    """PyTorch's error as a case stores it: its first line (torchlet's message contains it after the op's name).
    PyTorch's in-place cast messages spell the output type as C++ does ('long int', 'bool'); torchlet names it as the
    rest of PyTorch's messages do ('Long', 'Bool')."""
    message = str(e).split('\n')[0]
    message = re.sub('desired output type (long int|bool)$', lambda m: 'desired output type ' + {'long int': 'Long', 'bool': 'Bool'}[m.group(1)], message)
    return {'type': type(e).__name__, 'message': message}



def op_cases():
    """Every op case, with floating inputs drawn in FLOAT (float32 or float64)."""
    cases = []

    def add_case(group, name, op, inputs, args=(), tol=(0.0, 0.0)):
        call = PY_OPS.get(op) or (lambda t, a: table_call(op, t, a))
        ts = [i.tensor() for i in inputs]
        try:
            out = call(ts, list(args))
        except RuntimeError as e:
            # A case PyTorch refuses (an op on a dtype it has no kernel for): torchlet must raise the same error.
            cases.append({'group': group, 'name': name, 'op': op, 'inputs': [i.dump() for i in inputs],
                          'args': enc(list(args)), 'error': torch_error(e)})
            return
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if isinstance(tol, dict):
            floating = [o.dtype for o in outs if o.is_floating_point()]
            tol = tol[floating[0] if floating else FLOAT]
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
        # Gradients of every case with a floating input whose output PyTorch can differentiate, through the view
        # steps (so transposed/broadcast/sliced inputs are covered). In-place forms are checked on values only.
        if not op.endswith('_') and any(i.base.is_floating_point() for i in inputs):
            pairs = [i.leaf() for i in inputs]
            res = call([v for _, v in pairs], list(args))
            res = list(res) if isinstance(res, (tuple, list)) else [res]
            roots = [r for r in res if r.requires_grad]
            if roots and all(r.numel() > 0 for r in roots):
                ups = [torch.randn(r.shape, generator=gen, dtype=r.dtype) for r in roots]
                case['upstream'] = [dump_tensor(u) for u in ups]
                try:
                    torch.autograd.backward(roots, ups)
                    case['grads'] = [dump_tensor(b.grad) if b is not None and b.grad is not None else None for b, _ in pairs]
                except RuntimeError as e:
                    case['gradError'] = torch_error(e)  # no derivative (floor_divide), or a refused dtype in backward
        cases.append(case)

    # Tolerances by the dtype the result is computed in (a case of the float64 pass may still compute in float32).
    ULP = {torch.float32: (2e-6, 1e-6), torch.float64: (1e-13, 1e-15)}  # transcendental: PyTorch uses SLEEF, torchlet libm
    SUM = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-14)}  # reductions: different summation order
    MM = {torch.float32: (1e-5, 1e-5), torch.float64: (1e-12, 1e-13)}
    MM_LARGE = {torch.float32: (1e-4, 1e-4), torch.float64: (1e-11, 1e-12)}
    # Mixed float32/float64 operands that compute in float32 (their gradients are float32 sums, cast)
    MIXED = {torch.float32: (1e-6, 1e-6), torch.float64: (1e-6, 1e-6)}

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
    add_case('binary', 'add alpha', 'add', [Input(randn(3, 4)), Input(randn(3, 4))], [0.5])
    add_case('binary', 'sub alpha broadcast', 'sub', [Input(randn(3, 4)), Input(randn(4))], [-2.0])

    # The scalar forms: the same table entries with a number as the second operand.
    for op, vals in [('add', [2.5, 3]), ('sub', [1.25]), ('mul', [0.1, 3]), ('div', [7, 0.3]),
                     ('pow', [2, 3, 0.5, -1, -2, -0.5, 1.7]), ('gt', [0.0]), ('eq', [0]),
                     ('remainder', [1.5]), ('lt', [0.5])]:
        for v in vals:
            base = positive if op == 'pow' else randn
            tol = ULP if op == 'pow' else (0.0, 0.0)
            add_case('scalar', f'{op} scalar {v}', op, [Input(base(4, 3), [['t']])], [v], tol)
    add_case('scalar', 'add scalar with alpha', 'add', [Input(randn(3, 4))], [2.0, 0.5])
    add_case('scalar', 'int32 + int scalar stays int', 'add', [Input(ints(3, 4))], [3])
    add_case('scalar', 'int32 * float scalar promotes', 'mul', [Input(ints(3, 4))], [0.5])
    add_case('scalar', 'int32 ** int scalar', 'pow', [Input(ints(3, 4, lo=-3, hi=4))], [3])

    # ---- unary ops -----------------------------------------------------------------------------------------
    # The fixture line of each unary table op: its inputs' maker and tolerance.
    UNARY = {
        'neg': (randn, (0, 0)), 'abs': (randn, (0, 0)), 'exp': (randn, ULP), 'log': (positive, ULP),
        'log1p': (positive, ULP), 'expm1': (randn, ULP), 'sqrt': (positive, ULP), 'rsqrt': (positive, ULP),
        'sin': (randn, ULP), 'cos': (randn, ULP), 'tanh': (randn, ULP), 'sigmoid': (randn, ULP), 'relu': (randn, (0, 0)),
        'sign': (randn, (0, 0)), 'floor': (lambda *s: randn(*s) * 3, (0, 0)), 'ceil': (lambda *s: randn(*s) * 3, (0, 0)),
        'round': (lambda *s: torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, 3.5, 0.49, -3.5, 7.5, 8.5]).reshape(*s)
                  if s == (3, 4) else randn(*s) * 3, (0, 0)),
        'trunc': (lambda *s: randn(*s) * 3, (0, 0)), 'reciprocal': (randn, ULP), 'erf': (randn, ULP),
        'square': (randn, (0, 0)),
        'sinh': (randn, ULP),
        'cosh': (randn, ULP),
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
    add_case('unary', 'isnan', 'isnan', [Input(torch.tensor([[0.0, float('nan')], [float('inf'), -1.0]], dtype=FLOAT))])
    add_case('unary', 'isnan int32', 'isnan', [Input(ints(3, 4))])
    for lo, hi in [(-0.5, 0.5), (None, 0.2), (-0.1, None)]:
        add_case('unary', f'clamp {lo} {hi}', 'clamp', [Input(randn(4, 3), [['t']])], [lo, hi])
    add_case('unary', 'clamp int32', 'clamp', [Input(ints(3, 4))], [-2, 3])
    add_case('unary', 'leakyRelu', 'leakyRelu', [Input(randn(3, 4))], [0.2])
    add_case('unary', 'leakyRelu default slope', 'leakyRelu', [Input(randn(4, 3), [['t']])])
    add_case('unary', 'where', 'where', [Input(bools(3, 1)), Input(randn(4), [['unsqueeze', 0]]), Input(randn(3, 4), [['slice', 1, 0, None, 1]])])
    add_case('unary', 'where int', 'where', [Input(bools(3, 4)), Input(ints(3, 4)), Input(ints(1, 4))])
    add_case('unary', 'float to int truncates', 'toInt', [Input(randn(3, 4) * 4)])
    add_case('unary', 'int to float', 'toFloat', [Input(ints(4, 3), [['t']])])
    add_case('unary', 'float to bool', 'toBool', [Input(randn(3, 4).round())])
    add_case('unary', 'float to double', 'toDouble', [Input(randn(4, 3), [['t']])])
    add_case('unary', 'int to double', 'toDouble', [Input(ints(3, 4))])

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
    add_case('matmul', 'large', 'matmul', [Input(randn(33, 70)), Input(randn(70, 45))], tol=MM_LARGE)

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
    add_case('movement', 'add_ transposed', 'add_', [Input(randn(3, 4)), Input(randn(4, 3), [['t']])])
    add_case('movement', 'mul_ scalar', 'mul_', [Input(randn(3, 4))], [2.5])

    # ---- in place: the table's in-place forms (x.op_(...) writes into a clone of x) ---------------------------
    add_case('inplace', 'sub_ alpha broadcast', 'sub_', [Input(randn(3, 4)), Input(randn(4))], [0.5])
    add_case('inplace', 'exp_ transposed', 'exp_', [Input(randn(4, 3), [['t']])], tol=ULP)
    add_case('inplace', 'clamp_', 'clamp_', [Input(randn(3, 4))], [-0.5, 0.25])
    add_case('inplace', 'pow_ scalar', 'pow_', [Input(positive(3, 4))], [2])
    add_case('inplace', 'lt_ writes 0 and 1', 'lt_', [Input(randn(3, 4)), Input(randn(3, 4))])
    add_case('inplace', 'floor_ int32 is the identity', 'floor_', [Input(ints(3, 4))])
    add_case('inplace', 'div_ by int32', 'div_', [Input(randn(3, 4)), Input(ints(3, 4, lo=1, hi=4))])
    if FLOAT == torch.float64:
        # ---- promotion between float32 and float64 (PyTorch's result_type) ------------------------------------
        def f32(*shape):
            return torch.randn(*shape, generator=gen)
        add_case('promotion', 'float32 + float64', 'add', [Input(f32(3, 4)), Input(randn(3, 4))])
        add_case('promotion', 'float64 * float32 broadcast', 'mul', [Input(randn(3, 1)), Input(f32(4))])
        add_case('promotion', 'float32 [3, 4] + float64 0-dim stays float32', 'add', [Input(f32(3, 4)), Input(randn(()))], tol=MIXED)
        add_case('promotion', 'int32 / float64', 'div', [Input(ints(3, 4)), Input(positive(3, 4))])
        add_case('promotion', 'float32 < float64', 'lt', [Input(f32(3, 4)), Input(randn(3, 4))])
        add_case('promotion', 'where float32 float64', 'where', [Input(bools(3, 4)), Input(f32(3, 4)), Input(randn(4))])
        add_case('promotion', 'cat float32 float64', 'cat', [Input(f32(2, 3)), Input(randn(1, 3))], [0])
        add_case('promotion', 'add_ float64 into float32', 'add_', [Input(f32(3, 4)), Input(randn(3, 4))])
        add_case('promotion', 'maximum float64 int32', 'maximum', [Input(randn(3, 4)), Input(ints(3, 4))])

    # ---- dtype rules on int and bool operands ------------------------------------------------------------------
    # Literal inputs; their gradient cases draw upstream gradients, so the random stream is restored after them and
    # the fixtures generated later keep their data.
    stream = gen.get_state()
    B = Input(torch.tensor([[True, False, True], [False, False, True]]))
    B2 = Input(torch.tensor([[True, True, False], [False, True, True]]))
    BEMPTY = Input(torch.zeros(0, 3, dtype=torch.bool))
    I = Input(torch.tensor([[-3, 0, 2], [5, -1, 4]]))
    F = Input(torch.tensor([[0.5, -1.5, 2.25], [3.0, -0.25, 1.0]], dtype=FLOAT))
    FPOS = Input(torch.tensor([[0.5, 1.5, 2.25], [3.0, 0.25, 1.0]], dtype=FLOAT))
    # bool op bool: add (or), mul and minimum (and), maximum (or) keep bool; the others are refused
    for op in ['add', 'mul', 'maximum', 'minimum', 'sub', 'pow', 'remainder', 'floorDivide', 'div']:
        add_case('dtypes', f'{op} bool bool', op, [B, B2])
    add_case('dtypes', 'add bool bool broadcast 0-dim', 'add', [B, Input(torch.tensor(False))])
    add_case('dtypes', 'maximum bool bool empty', 'maximum', [BEMPTY, Input(torch.tensor([True, False, True]))])
    add_case('dtypes', 'add bool alpha 2', 'add', [B, B2], [2])
    add_case('dtypes', 'add bool alpha -1', 'add', [B, B2], [-1])
    add_case('dtypes', 'add bool alpha 0.5', 'add', [B, B2], [0.5])
    add_case('dtypes', 'add bool + True', 'add', [B], [True])
    add_case('dtypes', 'mul bool * 2 is int', 'mul', [B], [2])
    add_case('dtypes', 'add_ bool bool', 'add_', [B, B2])
    add_case('dtypes', 'mul_ bool by 2', 'mul_', [B], [2])
    add_case('dtypes', 'sub bool - True', 'sub', [B], [True])
    add_case('dtypes', 'sub bool - 1', 'sub', [B], [1])
    add_case('dtypes', 'sub int - bool', 'sub', [I, B])
    add_case('dtypes', 'sub float - bool', 'sub', [F, B])
    add_case('dtypes', 'sub_ bool bool', 'sub_', [B, B2])
    add_case('dtypes', 'pow bool ** 2 is int', 'pow', [B], [2])
    add_case('dtypes', 'pow bool ** True', 'pow', [B], [True])
    add_case('dtypes', 'remainder bool % True', 'remainder', [B], [True])
    add_case('dtypes', 'floorDivide bool // bool empty', 'floorDivide', [BEMPTY, BEMPTY])
    add_case('dtypes', 'pow float ** bool tensor (backward refuses bool - 1)', 'pow', [FPOS, B])
    add_case('dtypes', 'pow float ** True', 'pow', [FPOS], [True])
    add_case('dtypes', 'pow float ** False', 'pow', [FPOS], [False])
    add_case('dtypes', 'pow bool ** float', 'pow', [B, FPOS], tol=ULP)
    # a fractional alpha on integral operands
    add_case('dtypes', 'add int alpha 0.5', 'add', [I, I], [0.5])
    add_case('dtypes', 'sub int scalar alpha 1.5', 'sub', [I], [1, 1.5])
    add_case('dtypes', 'add_ int alpha 0.5', 'add_', [I, I], [0.5])
    add_case('dtypes', 'add int + float alpha 0.5', 'add', [I, F], [0.5])
    # a number first keeps its precision in a float64 result (and stays float32 with float32)
    add_case('dtypes', 'pow 0.1 ** tensor', 'powScalarBase', [F], [0.1], tol=ULP)
    add_case('dtypes', 'pow 2 ** int tensor', 'powScalarBase', [Input(torch.tensor([[0, 1, 2], [3, 4, 5]]))], [2])
    add_case('dtypes', 'pow 1.5 ** int tensor', 'powScalarBase', [I], [1.5], tol=ULP)
    # floorDivide: PyTorch's div_floor rounding; floating results require grad and backward raises
    add_case('dtypes', 'floorDivide rounding', 'floorDivide',
             [Input(torch.tensor([0.13, float('inf'), -float('inf'), 5.0, -0.0, 7.5, 1.0, float('nan')], dtype=FLOAT)),
              Input(torch.tensor([0.01, -1.0, 2.0, 0.0, 3.0, -2.5, 0.1, 1.0], dtype=FLOAT))])
    add_case('dtypes', 'floorDivide scalar', 'floorDivide', [F], [0.3])
    # unary ops on bool: sign keeps it, square gives int, the others are refused with PyTorch's errors
    for op in ['sign', 'square', 'neg', 'abs', 'relu', 'floor', 'ceil', 'round', 'trunc', 'leakyRelu', 'exp']:
        add_case('dtypes', f'{op} bool', op, [B], tol=ULP)
    for op in ['sign_', 'neg_', 'abs_', 'floor_', 'leakyRelu_']:
        add_case('dtypes', f'{op} bool', op, [B])
    add_case('dtypes', 'sign bool empty', 'sign', [BEMPTY])
    add_case('dtypes', 'square bool empty', 'square', [BEMPTY])
    for op in ['floor', 'round', 'trunc', 'ceil']:
        add_case('dtypes', f'{op} int', op, [I])
    add_case('dtypes', 'leakyRelu int', 'leakyRelu', [I])
    add_case('dtypes', 'leakyRelu_ int', 'leakyRelu_', [I])
    add_case('dtypes', 'leakyRelu int empty', 'leakyRelu', [Input(torch.zeros(0, 2, dtype=torch.int64))])
    for op in ['elu', 'silu', 'gelu', 'softplus']:
        add_case('dtypes', f'{op} int', op, [I])
        add_case('dtypes', f'{op} bool', op, [B])
    # clamp: the result type counts the bounds (a float bound, infinite or NaN too, makes int and bool float)
    for x, xn in [(B, 'bool'), (I, 'int')]:
        for lo, hi in [(0, 1), (None, 1), (-2, 0.7), (None, float('inf')), (-float('inf'), None), (0.5, None), (float('nan'), None)]:
            add_case('dtypes', f'clamp {xn} {lo} {hi}', 'clamp', [x], [lo, hi])
            add_case('dtypes', f'clamp_ {xn} {lo} {hi}', 'clamp_', [x], [lo, hi])
    add_case('dtypes', 'clip bool empty', 'clip', [BEMPTY], [-2, 0.7])
    add_case('dtypes', 'clamp float with int bounds', 'clamp', [F], [-1, 2])
    # softmax and logSoftmax refuse int and bool, but give an empty tensor back as it is
    for op in ['softmax', 'logSoftmax']:
        for x, xn in [(B, 'bool'), (I, 'int')]:
            add_case('dtypes', f'{op} {xn} dim 1', op, [x], [1])
            add_case('dtypes', f'{op} {xn} dim 0', op, [x], [0])
        add_case('dtypes', f'{op} int 0-dim', op, [Input(torch.tensor(3))], [0])
        add_case('dtypes', f'{op} int empty', op, [Input(torch.zeros(2, 0, dtype=torch.int64))], [1])
        add_case('dtypes', f'{op} bool empty', op, [BEMPTY], [0])
    # argmax and argmin have no bool kernel (a reduced dim of size 1 needs none)
    for op in ['argmax', 'argmin']:
        add_case('dtypes', f'{op} bool', op, [B])
        add_case('dtypes', f'{op} bool dim 1', op, [B], [1, False])
        add_case('dtypes', f'{op} bool dim of size 1', op, [Input(torch.tensor([[True, False, True]]))], [0, True])
        add_case('dtypes', f'{op} bool 0-dim', op, [Input(torch.tensor(True))], [0, False])
        add_case('dtypes', f'{op} bool empty result', op, [Input(torch.zeros(2, 0, dtype=torch.bool))], [0, False])
    gen.set_state(stream)

    # ---- the inverse trigonometric and hyperbolic functions, log2, log10, exp2 (added last: the cases above keep
    # their random draws, and the stream is restored after them for the fixtures drawn next) --------------------
    stream = gen.get_state()

    def inside(*s):  # (-0.95, 0.95): the domain of asin, acos, atanh
        return torch.rand(*s, generator=gen, dtype=FLOAT) * 1.9 - 0.95

    def above_one(*s):  # [1.1, 4.1): acosh's domain
        return positive(*s) + 1.0

    MORE_UNARY = {'tan': randn, 'atan': randn, 'asin': inside, 'acos': inside, 'asinh': randn, 'acosh': above_one,
                  'atanh': inside, 'log2': positive, 'log10': positive, 'exp2': randn}
    for op, make in MORE_UNARY.items():
        for name, x in variants(make).items():
            add_case('unary', f'{op} {name}', op, [x], tol=ULP)
        add_case('unary', f'{op} empty', op, [Input(make(0, 3))], tol=ULP)
        add_case('unary', f'{op} int32 gives float', op, [Input(ints(3, 4, lo=1, hi=3) if op in ('acosh', 'log2', 'log10') else ints(3, 4, lo=0, hi=1))], tol=ULP)
    edges = torch.tensor([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, float('inf'), float('-inf'), float('nan'), 1e-30, 100.0, -100.0], dtype=FLOAT)
    for op in MORE_UNARY:
        add_case('unary', f'{op} at its edges (0, +-1, +-inf, NaN, beyond the domain)', op, [Input(edges.reshape(3, 4))], tol=ULP)
    gen.set_state(stream)

    return cases


def main():
    global FLOAT, creation, rng, printing, grad2
    FLOAT = torch.float32
    cases = op_cases()
    FLOAT = torch.float64
    cases64 = op_cases()
    FLOAT = torch.float32

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
    # float64: asked for by dtype, and as the default dtype (torch.set_default_dtype).
    f64 = torch.float64
    for args in [[0, 1, 0.1], [-1.5, 2.5, 0.5], [5]]:
        creation.append({'op': 'arange', 'args': args, 'dtype': 'float64', 'out': dump_tensor(torch.arange(*args, dtype=f64))})
    for args in [[0, 1, 5], [3.3, -1.7, 11], [0, 1, 33], [-5, 5, 1000], [1, 2, 17], [0, 10, 9]]:
        creation.append({'op': 'linspace', 'args': args, 'dtype': 'float64', 'out': dump_tensor(torch.linspace(*args, dtype=f64))})
    creation.append({'op': 'eye', 'args': [2, 3], 'dtype': 'float64', 'out': dump_tensor(torch.eye(2, 3, dtype=f64))})
    creation.append({'op': 'full', 'args': [[2, 2], 0.1], 'dtype': 'float64', 'out': dump_tensor(torch.full([2, 2], 0.1, dtype=f64))})
    creation.append({'op': 'tensor', 'args': [[0.1, 0.2]], 'dtype': 'float64', 'out': dump_tensor(torch.tensor([0.1, 0.2], dtype=f64))})
    torch.set_default_dtype(f64)
    for op, args, out in [('tensor', [[[0.1, 2], [3, 4]]], torch.tensor([[0.1, 2], [3, 4]])), ('arange', [0, 1, 0.25], torch.arange(0, 1, 0.25)),
                          ('linspace', [0, 1, 7], torch.linspace(0, 1, 7)), ('full', [[2], 0.1], torch.full([2], 0.1)),
                          ('eye', [2], torch.eye(2)), ('arange', [4], torch.arange(4))]:
        creation.append({'op': op, 'args': args, 'default': 'float64', 'out': dump_tensor(out)})
    torch.set_default_dtype(torch.float32)

    # ---- random streams ------------------------------------------------------------------------------------
    rng = []


    def rng_case(name, seed, calls):
        """calls: list of (op, args[, dtype]); every output in order, from one seeded default generator."""
        torch.manual_seed(seed)
        outs = []
        for op, args, *rest in calls:
            dtype = {'float32': torch.float32, 'float64': torch.float64}[rest[0] if rest else 'float32']
            if op == 'rand':
                outs.append(torch.rand(*args, dtype=dtype))
            elif op == 'randn':
                outs.append(torch.randn(*args, dtype=dtype))
            elif op == 'randint':
                outs.append(torch.randint(args[0], args[1], tuple(args[2])))
            elif op == 'randperm':
                outs.append(torch.randperm(args[0]))
            elif op == 'uniform_':
                outs.append(torch.empty(*args[0], dtype=dtype).uniform_(args[1], args[2]))
            elif op == 'normal_':
                outs.append(torch.empty(*args[0], dtype=dtype).normal_(args[1], args[2]))
            elif op == 'bernoulli_':
                outs.append(torch.empty(*args[0], dtype=dtype).bernoulli_(args[1]))
            else:
                raise ValueError(op)
        # normal samples come from polynomial approximations in PyTorch's AVX2 kernel: a few ulp
        rng.append({'name': name, 'seed': seed, 'calls': [[op, enc(args), *rest] for op, args, *rest in calls],
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
    rng_case('bernoulli_', 5, [('bernoulli_', [[40], 0.3]), ('bernoulli_', [[3, 4], 0.5])])
    rng_case('rand float64, then float32 continues the stream', 0,
             [('rand', [5], 'float64'), ('rand', [3, 4], 'float64'), ('rand', [3])])
    rng_case('randn float64 (scalar path, cache, 16-blocks, tail redraw)', 7,
             [('randn', [3], 'float64'), ('randn', [1], 'float64'), ('randn', [16], 'float64'), ('randn', [17], 'float64'),
              ('randn', [100], 'float64'), ('randn', [2])])
    rng_case('uniform_, normal_ and bernoulli_ float64', 3,
             [('uniform_', [[20], -2, 3], 'float64'), ('normal_', [[20], 1, 2], 'float64'), ('normal_', [[5], -1, 0.5], 'float64'),
              ('bernoulli_', [[50], 0.3], 'float64')])

    # ---- printing ------------------------------------------------------------------------------------------
    printing = []


    def print_case(name, t, steps=(), default=None):
        base = t
        shown = apply_steps(base.clone(), list(steps))
        if default:
            torch.set_default_dtype(torch.float64)
        case = {'name': name, 'input': Input(base, list(steps)).dump(), 'text': str(shown)}
        torch.set_default_dtype(torch.float32)
        if default:
            case['default'] = default
        printing.append(case)


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
    print_case('empty int64 names its dtype', torch.zeros(0, dtype=torch.long))
    print_case('empty 2-D bool', torch.zeros(2, 0, dtype=torch.bool))
    print_case('float64', torch.tensor([[0.1, 2.0], [3.5, -4.25]], dtype=torch.float64))
    print_case('float64 integers', torch.tensor([1.0, 1e9], dtype=torch.float64))
    print_case('float64 tiny values', torch.tensor([1e-300, 1.0], dtype=torch.float64))
    print_case('float64 0-dim', torch.tensor(3.141592653589793, dtype=torch.float64))
    print_case('float64 empty', torch.zeros(0, dtype=torch.float64))
    print_case('float64 summarized', torch.randn(2000, dtype=torch.float64))
    print_case('float64 under the float64 default', torch.tensor([0.1, 0.2], dtype=torch.float64), default='float64')
    print_case('float32 under the float64 default', torch.tensor([0.1, 0.2]), default='float64')
    print_case('empty float32 under the float64 default', torch.zeros(0), default='float64')

    # ---- gradcheck's messages ------------------------------------------------------------------------------
    gradcheck_cases = []

    class Double(torch.autograd.Function):
        """2x with a backward that gives 3: gradcheck must fail."""
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class Product(torch.autograd.Function):
        """x * y whose gradient for y is twice too large."""
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x * 2

    def gradcheck_case(name, fn, inputs):
        try:
            torch.autograd.gradcheck(fn, tuple(inputs))
            raise AssertionError(f'gradcheck passed on {name}')
        except (GradcheckError, ValueError) as e:
            gradcheck_cases.append({'name': name, 'inputs': [dump_tensor(i) for i in inputs],
                                    'requiresGrad': [i.requires_grad for i in inputs], 'error': type(e).__name__,
                                    'message': str(e)})

    f64 = dict(dtype=torch.float64)
    gradcheck_case('wrong gradient', Double.apply, [torch.tensor([[1., 2.], [3., 4.]], requires_grad=True, **f64)])
    gradcheck_case('wrong gradient of the second input', Product.apply,
                   [torch.tensor([0.5, -1.5], requires_grad=True, **f64), torch.tensor([2.0, 0.25], requires_grad=True, **f64)])
    gradcheck_case('no input requires grad', Double.apply, [torch.ones(2, **f64)])

    # ---- type promotion: torch.result_type, promote_types and can_cast -----------------------------------------
    promotion = {'resultType': [], 'promoteTypes': [], 'canCast': []}
    names = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int32', torch.bool: 'bool'}
    operands = [('tensor', d, [2]) for d in names] + [('tensor', d, []) for d in names] + [('number', 1), ('number', 1.5), ('number', True)]

    def make(o):
        return torch.zeros(o[2], dtype=o[1]) if o[0] == 'tensor' else o[1]

    def describe(o):
        return {'dtype': names[o[1]], 'shape': o[2]} if o[0] == 'tensor' else {'number': o[1]}

    for default in [torch.float32, torch.float64]:
        torch.set_default_dtype(default)
        for a in operands:
            for b in operands:
                if a[0] == 'number' and b[0] == 'number':
                    continue
                promotion['resultType'].append({'a': describe(a), 'b': describe(b), 'default': names[default],
                                                'out': names[torch.result_type(make(a), make(b))]})
    torch.set_default_dtype(torch.float32)
    for a in names:
        for b in names:
            promotion['promoteTypes'].append({'a': names[a], 'b': names[b], 'out': names[torch.promote_types(a, b)]})
            promotion['canCast'].append({'from': names[a], 'to': names[b], 'out': torch.can_cast(a, b)})

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'promotion.json'), 'w') as f:
        json.dump({'torch': torch.__version__, **promotion}, f, separators=(',', ':'))
    meta = {'torch': torch.__version__, 'python': sys.version.split()[0]}
    for fname, payload in [('ops.json', cases), ('ops_float64.json', cases64), ('creation.json', creation), ('random.json', rng), ('print.json', printing),
                           ('grad2.json', grad2), ('gradcheck.json', gradcheck_cases)]:
        with open(os.path.join(OUT, fname), 'w') as f:
            json.dump({'generator': 'scripts/gen_fixtures.py', **meta, 'cases': payload}, f, separators=(',', ':'))
        print(f'{fname}: {len(payload)} cases')


if __name__ == '__main__':
    main()
    import runpy
    here = os.path.dirname(os.path.abspath(__file__))
    for script in ['gen_nn_fixtures.py', 'gen_conv_fixtures.py', 'gen_edge_nn_fixtures.py', 'gen_edge_tensor_fixtures.py', 'gen_arg_error_fixtures.py',
                   'gen_data_fixtures.py', 'gen_pt_fixtures.py', 'gen_seqops_fixtures.py', 'gen_ddp_fixtures.py',
                   'gen_grad_graph_fixtures.py']:
        runpy.run_path(os.path.join(here, script), run_name='__main__')
