#!/usr/bin/env python3
"""Writes test/fixtures/vmath.json: the vectorised transcendental kernels (issue 12) against PyTorch 1.13.1.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_vmath_fixtures.py

Each case is one op on one input tensor (a grid over the op's interesting range, the special values +-0, subnormals,
+-FLT_MAX, +-inf, NaN and the overflow/underflow thresholds, and a transposed view of it), with PyTorch's output, the
gradient for a fixed upstream gradient, and for the fused activations the second-order gradient (the gradient of
sum(w * dx) with respect to x, w fixed). test/ops/vmath.test.ts runs the same calls in torchlet.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import dump_tensor, enc  # noqa: E402  (the shared tensor encoding)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'vmath.json')
torch.set_num_threads(1)
torch.manual_seed(0)
nan, inf = float('nan'), float('inf')
FLT_MAX = 3.4028234663852886e38

# Each op: the torchlet spelling in test/ops/vmath.test.ts is the same name; args follow the tensor.
OPS = {
    'exp': lambda x, a: x.exp(),
    'log': lambda x, a: x.log(),
    'log1p': lambda x, a: x.log1p(),
    'expm1': lambda x, a: x.expm1(),
    'tanh': lambda x, a: x.tanh(),
    'sigmoid': lambda x, a: x.sigmoid(),
    'erf': lambda x, a: x.erf(),
    'sin': lambda x, a: x.sin(),
    'cos': lambda x, a: x.cos(),
    'pow': lambda x, a: x.pow(a[0]),
    'gelu': lambda x, a: F.gelu(x, approximate=a[0]),
    'silu': lambda x, a: F.silu(x),
    'softplus': lambda x, a: F.softplus(x, *a),
}
# Ops whose gradient is itself a fused node: their second-order gradients are checked too.
FUSED = {'tanh', 'sigmoid', 'gelu', 'silu', 'softplus'}

SPECIAL = [0.0, -0.0, inf, -inf, nan, 1e-40, -1e-40, 1.4e-45, -1.4e-45, 1.1754944e-38, FLT_MAX, -FLT_MAX, 88.72, 88.73,
           -87.33, -103.9, -104.0, 104.0, 20.0, -20.0, 9.0, -9.0, 15.0, -15.0, 1e-8, -1e-8, 1e-30, 0.5, -0.5, 1.0, -1.0,
           3.9, -3.9, 65536.5, -1e5, 1e10]


def grid(lo, hi, n=64):
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


RANGES = {
    'exp': (-110, 95), 'log': (0.001, 50), 'log1p': (-0.999, 30), 'expm1': (-20, 20), 'tanh': (-12, 12),
    'sigmoid': (-110, 110), 'erf': (-5, 5), 'sin': (-40, 40), 'cos': (-40, 40), 'pow': (-4, 4), 'gelu': (-16, 12),
    'silu': (-110, 30), 'softplus': (-30, 30),
}

cases = []


def add(op, args, dtype, special=True, name=None):
    lo, hi = RANGES[op]
    values = grid(lo, hi) + (SPECIAL if special else [])
    values += [0.0] * ((-len(values)) % 4)
    base = torch.tensor(values, dtype=dtype).reshape(4, -1)
    tol = {torch.float32: (2e-6, 1e-6), torch.float64: (1e-12, 1e-14)}[dtype]
    gtol = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-14)}[dtype]
    for view in ['contiguous', 'transposed']:
        x = base.clone().requires_grad_()
        xv = x.t() if view == 'transposed' else x
        out = OPS[op](xv, args)
        up = torch.linspace(0.5, 1.5, out.numel(), dtype=dtype).reshape(out.shape)
        gx, = torch.autograd.grad(out, x, up, create_graph=op in FUSED)
        case = {
            'name': name or f'{op} {args} {str(dtype)[6:]} {view}', 'op': op, 'args': enc(args),
            'input': dump_tensor(base), 'transposed': view == 'transposed', 'gridPoints': len(grid(lo, hi)),
            'out': dump_tensor(out), 'upstream': dump_tensor(up), 'grad': dump_tensor(gx),
            'rtol': tol[0], 'atol': tol[1], 'gradRtol': gtol[0], 'gradAtol': gtol[1],
        }
        if op in FUSED:
            # Second order on the finite grid part only: at the special values PyTorch's own formulas give NaN and
            # inf in ways that depend on the order of its float operations.
            w = torch.linspace(-1, 1, gx.numel(), dtype=dtype).reshape(gx.shape)
            finite = torch.zeros_like(base, dtype=torch.bool).reshape(-1)
            finite[:len(grid(lo, hi))] = True
            finite = finite.reshape(base.shape)
            ggx, = torch.autograd.grad((gx * w * finite).sum(), x)
            case['weights'] = dump_tensor(w)
            case['grad2'] = dump_tensor(torch.where(finite, ggx, torch.zeros_like(ggx)))
        cases.append(case)


for dtype in [torch.float32, torch.float64]:
    for op in ['exp', 'log', 'log1p', 'expm1', 'tanh', 'sigmoid', 'erf', 'sin', 'cos', 'silu']:
        add(op, [], dtype)
    for e in [2.5, -1.3, 3.0, 0.5, 7.0]:
        add('pow', [e], dtype)
    for approximate in ['none', 'tanh']:
        add('gelu', [approximate], dtype)
    for args in [[], [2.0, 5.0], [0.5, 30.0]]:
        add('softplus', args, dtype)

with open(OUT, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    f.write('\n')
print(f'wrote {len(cases)} cases to {OUT}')
