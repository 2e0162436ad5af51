#!/usr/bin/env python3
"""Writes test/fixtures/memops.json: the fast paths of the memory-bound kernels (issue 12) against PyTorch 1.13.1.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_memops_fixtures.py

Inputs are long enough to reach the vector loops and their tails, chunk and band edges (sums), and the tiles of the
transposing copy. They are not stored: each is `shape` elements of value(i) = ((i * 7919 + 13) % 1999 - 999) / 7
(i shifted by `shift`; for sums `dyadic`: ((i * 7919 + 13) % 61 - 30) / 8; rounded to the dtype; int32: the numerator; bool: i % 3 == 0), with `specials` written at flat positions, then
view `steps` applied; test/ops/memops.test.ts builds the same tensors. Each case holds PyTorch's outputs.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import apply_steps, dump_tensor  # noqa: E402  (the shared encoding and view steps)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'memops.json')
torch.set_num_threads(1)
DT = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int64, 'bool': torch.bool}
SPECIAL = {'nan': float('nan'), 'inf': float('inf'), '-inf': float('-inf'), '-0': -0.0}


def make(spec):
    n = 1
    for s in spec['shape']:
        n *= s
    i = torch.arange(n, dtype=torch.float64) + spec.get('shift', 0)
    num = torch.remainder(i * 7919 + 13, 61 if spec.get('dyadic') else 1999) - (30 if spec.get('dyadic') else 999)
    d = spec['dtype']
    if d == 'bool':
        t = torch.remainder(i, 3) == 0
    elif d == 'int32':
        t = num.to(torch.int64)
    else:
        t = (num / (8 if spec.get('dyadic') else 7)).to(DT[d])
    for at, v in spec.get('specials', []):
        t[at] = SPECIAL[v] if isinstance(v, str) else v
    return apply_steps(t.reshape(spec['shape']), spec.get('steps', []))


def T(shape, dtype='float32', steps=(), specials=(), shift=0, dyadic=False):
    return {'shape': list(shape), 'dtype': dtype, 'steps': [list(s) for s in steps], 'specials': [list(s) for s in specials],
            'shift': shift, 'dyadic': dyadic}


def S(shape, dtype, steps=(), specials=()):
    """A sum's input: eighths of at most 30 in magnitude, so every partial sum here is exact in float32 and any
    summation order gives PyTorch's result (the rounding of float32 sums is tested on its own in memops.test.ts)."""
    return T(shape, dtype, steps, specials, dyadic=True)


def in_place(f):
    def run(t, a):
        x = t[0].clone()
        f(x, t, a)
        return x
    return run


OPS = {
    'sum': lambda t, a: t[0].sum(*a),
    'mean': lambda t, a: t[0].mean(*a),
    'max': lambda t, a: tuple(t[0].max(*a)) if a else t[0].max(),
    'min': lambda t, a: tuple(t[0].min(*a)) if a else t[0].min(),
    'argmax': lambda t, a: t[0].argmax(*a),
    'argmin': lambda t, a: t[0].argmin(*a),
    'amax': lambda t, a: t[0].amax(*a),
    'add': lambda t, a: torch.add(t[0], t[1] if len(t) > 1 else a[0], alpha=a[-1]) if a else t[0] + t[1],
    'sub': lambda t, a: t[0] - (t[1] if len(t) > 1 else a[0]),
    'rsub': lambda t, a: a[0] - t[0],
    'mul': lambda t, a: t[0] * (t[1] if len(t) > 1 else a[0]),
    'div': lambda t, a: t[0] / (t[1] if len(t) > 1 else a[0]),
    'maximum': lambda t, a: torch.maximum(t[0], t[1]),
    'gt': lambda t, a: t[0] > t[1],
    'add_': in_place(lambda x, t, a: x.add_(t[1] if len(t) > 1 else a[0])),
    'mul_': in_place(lambda x, t, a: x.mul_(t[1] if len(t) > 1 else a[0])),
    'contiguous': lambda t, a: t[0].contiguous(),
    # copy_ into a transposed view of zeros: the copy writes along dst's other dim.
    'copyT': lambda t, a: torch.zeros(list(reversed(t[0].shape)), dtype=t[0].dtype).t().copy_(t[0]).t(),
}

F32, F64 = 'float32', 'float64'
CASES = []


def case(group, op, inputs, args=(), rtol=0.0, atol=0.0):
    CASES.append({'group': group, 'op': op, 'inputs': inputs, 'args': list(args), 'rtol': rtol, 'atol': atol})


# Sums (exact: see S).
for d in (F32, F64):
    for n in (0, 1, 63, 64, 65, 1000, 65536, 65537, 200003):
        case('sum all', 'sum', [S([n], d)])
    case('sum all', 'sum', [S([300, 301], d)])
    case('sum all', 'sum', [S([301, 300], d, [['t']])])  # not contiguous: the strided path
    case('sum all', 'mean', [S([70001], d)])
    # Outer dims (column bands of 256, rows in fours), inner dims, middle and several dims, keepDim, strided.
    for shape, dim in (([37, 1000], 0), ([5, 300], 0), ([4, 8], 0), ([3, 7], 0), ([1000, 37], 1), ([9, 65], 1),
                       ([6, 50, 40], 1), ([6, 50, 40], [0, 2]), ([6, 50, 40], [0, 1]), ([6, 50, 40], 2)):
        case('sum dims', 'sum', [S(shape, d)], [dim])
        case('sum dims', 'sum', [S(shape, d)], [dim, True])
    case('sum dims', 'sum', [S([40, 33], d, [['t']])], [0])
    case('sum dims', 'sum', [S([40, 33], d, [['t']])], [1])
    case('sum dims', 'sum', [S([40, 34], d, [['slice', 1, 1, None, 1]])], [0])
    case('sum dims', 'sum', [S([40, 34], d, [['slice', 0, 0, None, 2]])], [0])
    case('sum dims', 'sum', [S([20, 300], d, specials=[[5, 'nan'], [640, 'inf']])], [0])
    case('sum dims', 'mean', [S([33, 257], d)], [0])
    case('sum dims', 'sum', [S([0, 40], d)], [0])
    case('sum dims', 'sum', [S([40, 0], d)], [0])
case('sum dims', 'sum', [S([37, 300], 'int32')], [0])
case('sum dims', 'sum', [S([37, 300], 'bool')], [0])

# max/min along a dim: values and the first position of the extreme; NaN wins (its first position); -0 ties 0.
for d in (F32, F64):
    for n in (1, 7, 31, 64, 65, 127, 128, 200, 1000):
        for op in ('max', 'min', 'argmax', 'argmin'):
            case('extreme along a dim', op, [T([3, n], d)], [1])
    ties = [[10, 5000.0], [70, 5000.0], [150, 5000.0], [11, -5000.0], [90, -5000.0]]
    for op in ('max', 'min', 'argmax', 'argmin'):
        case('extreme ties', op, [T([2, 200], d, specials=ties)], [1])
        case('extreme ties', op, [T([2, 200], d, specials=[[300, 'nan'], [390, 'nan'], [205, 'inf'], [10, '-inf']])], [1])
        case('extreme ties', op, [T([4, 100], d, specials=[[130, 'nan'], [399, 'nan'], [5, 'inf'], [6, 'inf']])], [1])
        case('extreme ties', op, [T([1, 80], d, specials=[[i, '-0' if i % 2 else 0.0] for i in range(80)])], [1])
        case('extreme ties', op, [T([40, 70], d, [['t']])], [1])  # strided slices: the element loop
        case('extreme ties', op, [T([5, 9, 70], d)], [2, True])
    case('extreme ties', 'amax', [T([3, 500], d, specials=[[700, 'nan']])], [1])
    case('extreme ties', 'max', [T([700], d, specials=[[650, 'nan']])])

# Binary ops: contiguous runs with tails, a number on either side, in place, broadcast, strided, other dtypes.
for d in (F32, F64):
    for n in (1, 15, 16, 17, 1003):
        case('binary', 'add', [T([n], d), T([n], d, shift=500)])
        case('binary', 'mul', [T([n], d), T([n], d, shift=500)])
    case('binary', 'sub', [T([1003], d)], [2.5])
    case('binary', 'rsub', [T([1003], d)], [2.5])
    case('binary', 'mul', [T([1003], d)], [1.5])
    case('binary', 'div', [T([1003], d), T([1003], d, specials=[[3, 0.0], [4, '-0']], shift=500)])
    case('binary', 'add', [T([1003], d), T([1003], d, shift=500)], [0.5])  # alpha: one fused multiply-add
    case('binary', 'add', [T([37, 1], d, [['expand', [37, 41]]]), T([41], d, [['expand', [37, 41]]], shift=500)])
    case('binary', 'mul', [T([41, 37], d, [['t']]), T([37, 41], d, shift=500)])
    case('binary', 'add_', [T([1003], d), T([1003], d, shift=500)])
    case('binary', 'mul_', [T([1003], d)], [0.999])
    case('binary', 'mul_', [T([40, 41], d, [['t']])], [0.999])
    case('binary', 'maximum', [T([1003], d, specials=[[7, 'nan']]), T([1003], d, specials=[[8, 'nan']])])
    case('binary', 'gt', [T([1003], d), T([1003], d, shift=500)])
    case('binary', 'add', [T([0], d), T([0], d)])
case('binary', 'add', [T([1003], 'int32'), T([1003], 'int32', shift=500)])
case('binary', 'mul', [T([1003], 'int32')], [3])
case('binary', 'add_', [T([1003], 'int32'), T([1003], 'int32', shift=500)])
case('binary', 'mul', [T([1003], 'bool'), T([1003], 'bool', shift=1)])

# Copies that transpose: 8 x 8 blocks, 32 x 32 tiles, edges; other element sizes; copies into a transposed view.
for d in (F32, F64, 'int32', 'bool'):
    for shape in ((37, 45), (64, 64), (8, 9), (9, 8), (7, 300)):
        case('transposing copy', 'contiguous', [T(shape, d, [['t']])])
    case('transposing copy', 'contiguous', [T([4, 33, 17], d, [['permute', [2, 0, 1]]])])
    case('transposing copy', 'contiguous', [T([3, 20, 40], d, [['transpose', 1, 2]])])
    case('transposing copy', 'contiguous', [T([40, 50], d, [['t'], ['slice', 0, 1, None, 2]])])
    case('transposing copy', 'copyT', [T([45, 37], d)])


def main():
    out = []
    for c in CASES:
        r = OPS[c['op']]([make(s) for s in c['inputs']], c['args'])
        outs = list(r) if isinstance(r, tuple) else [r]
        out.append({**c, 'outs': [dump_tensor(o) for o in outs]})
    with open(OUT, 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': out}, f, separators=(',', ':'))
        f.write('\n')
    print(f'{OUT}: {len(out)} cases')


if __name__ == '__main__':
    main()
