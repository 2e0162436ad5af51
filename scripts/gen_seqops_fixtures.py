#!/usr/bin/env python3
"""Writes test/fixtures/seqops.json: the tensor ops sequence models need (issue 13), and norm, normalize,
isclose/allclose/equal and outer, from PyTorch 1.13.1.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_seqops_fixtures.py (npm run fixtures runs it too).

Each case names an op of the OPS table (test/ops/seqops.test.ts spells the same op in torchlet), its inputs, each a
base tensor seen through view steps (transposed, sliced, expanded), and its arguments. The fixture holds PyTorch's
error (class and message; `key` is the part torchlet's message must contain, '!' marking torchlet's own wording), or
the outputs, their requires_grad flags and the gradients of the floating inputs for fixed upstream gradients.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import apply_steps, dump_tensor, enc  # noqa: E402  (the shared encoding and view steps)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'seqops.json')
torch.set_num_threads(1)
nan, inf = float('nan'), float('inf')


def sorted_topk(r):
    """topk with sorted=False: PyTorch's order is unspecified, so both sides compare the entries ordered by index."""
    order = r.indices.argsort(-1)
    return r.values.gather(-1, order), r.indices.gather(-1, order)


OPS = {
    'maskedFill': lambda t, a: t[0].masked_fill(t[1], t[2] if len(t) > 2 else a[0]),
    'maskedFill_': lambda t, a: t[0].detach().clone().masked_fill_(t[1], a[0]),
    'maskedSelect': lambda t, a: t[0].masked_select(t[1]),
    'maskedScatter': lambda t, a: t[0].masked_scatter(t[1], t[2]),
    'maskIndex': lambda t, a: t[0][(slice(None),) * a[0] + (t[1],)],
    'nonzero': lambda t, a: t[0].nonzero(as_tuple=a[0]),
    'where1': lambda t, a: torch.where(t[0]),
    'tril': lambda t, a: t[0].tril(*a),
    'triu': lambda t, a: t[0].triu(*a),
    'cumsum': lambda t, a: t[0].cumsum(a[0], **({'dtype': getattr(torch, a[1])} if len(a) > 1 else {})),
    'cumprod': lambda t, a: t[0].cumprod(a[0], **({'dtype': getattr(torch, a[1])} if len(a) > 1 else {})),
    'sort': lambda t, a: t[0].sort(dim=a[0], descending=a[1], stable=True),
    'argsort': lambda t, a: t[0].argsort(dim=a[0], descending=a[1]),
    'topk': lambda t, a: t[0].topk(a[0], dim=a[1], largest=a[2]),
    'topkUnsorted': lambda t, a: sorted_topk(t[0].topk(a[0], dim=a[1], sorted=False)),
    'oneHot': lambda t, a: F.one_hot(t[0], *a),
    'repeat': lambda t, a: t[0].repeat(a[0]),
    'tile': lambda t, a: t[0].tile(a[0]),
    'repeatInterleave': lambda t, a: t[0].repeat_interleave(t[1] if len(t) > 1 else a[0], dim=a[1]),
    'flip': lambda t, a: t[0].flip(a[0]),
    'roll': lambda t, a: t[0].roll(a[0], a[1]) if len(a) > 1 else t[0].roll(a[0]),
    'meshgrid': lambda t, a: torch.meshgrid(*t, indexing=a[0]),
    'einsum': lambda t, a: torch.einsum(a[0], *t),
    'baddbmm': lambda t, a: torch.baddbmm(t[0], t[1], t[2], beta=a[0], alpha=a[1]),
    'scatter': lambda t, a: t[0].scatter(a[0], t[1], t[2] if len(t) > 2 else a[1], **({'reduce': a[2]} if len(a) > 2 else {})),
    'scatterReduce': lambda t, a: t[0].scatter_reduce(a[0], t[1], t[2], a[1], include_self=a[2]),
    'diagonal': lambda t, a: t[0].diagonal(*a),
    'diag': lambda t, a: t[0].diag(*a),
    'lerp': lambda t, a: t[0].lerp(t[1], t[2] if len(t) > 2 else a[0]),
    'addcmul': lambda t, a: t[0].addcmul(t[1], t[2], value=a[0]),
    'addcdiv': lambda t, a: t[0].addcdiv(t[1], t[2], value=a[0]),
    'isinf': lambda t, a: t[0].isinf(),
    'isfinite': lambda t, a: t[0].isfinite(),
    'isposinf': lambda t, a: t[0].isposinf(),
    'isneginf': lambda t, a: t[0].isneginf(),
    'nanToNum': lambda t, a: t[0].nan_to_num(*a),
    'var': lambda t, a: t[0].var(a[0], correction=a[1], keepdim=a[2]),
    'std': lambda t, a: t[0].std(a[0], correction=a[1], keepdim=a[2]),
    'newFull': lambda t, a: t[0].new_full(a[0], a[1]),
    'newZeros': lambda t, a: t[0].new_zeros(a[0]),
    'newOnes': lambda t, a: t[0].new_ones(a[0], **({'dtype': getattr(torch, a[1])} if len(a) > 1 else {})),
    'newTensor': lambda t, a: t[0].new_tensor(a[0]),
    'clamp': lambda t, a: t[0].clamp(*[t[k] if k < len(t) else None for k in a[0]]),
    'unique': lambda t, a: torch.unique(t[0], return_inverse=a[0], return_counts=a[1], dim=a[2]),
    'searchsorted': lambda t, a: torch.searchsorted(t[0], t[1] if len(t) > 1 else a[2], right=a[0], side=a[1],
                                                   **({'sorter': t[2]} if len(t) > 2 else {})),
    'bucketize': lambda t, a: torch.bucketize(t[0], t[1], right=a[0]),
    'matmul': lambda t, a: t[0] @ t[1],
    'bmm': lambda t, a: t[0].bmm(t[1]),
    'norm': lambda t, a: torch.norm(t[0], *a),
    'normalize': lambda t, a: F.normalize(t[0], *a),
    'isclose': lambda t, a: torch.isclose(t[0], t[1], rtol=a[0], atol=a[1], equal_nan=a[2]),
    'allclose': lambda t, a: torch.tensor(torch.allclose(t[0], t[1], rtol=a[0], atol=a[1], equal_nan=a[2])),
    'equal': lambda t, a: torch.tensor(torch.equal(t[0], t[1])),
    'outer': lambda t, a: torch.outer(t[0], t[1]),
}

ERRORS = {'IndexError': 'RangeError', 'RuntimeError': 'RangeError', 'ValueError': 'RangeError', 'TypeError': 'TypeError'}
cases = []


class V:
    """An input seen through view steps of a base tensor; gradients are taken with respect to the base."""

    def __init__(self, base, *steps):
        self.base = base
        self.steps = list(steps)


def dump(t, steps=()):
    d = dump_tensor(t)
    if steps:
        d['steps'] = [list(s) for s in steps]
    return d


def case(group, op, inputs, args=(), grad=True, key=None, etype=None, rtol=1e-5, atol=1e-6, grad2=False):
    views = [x if isinstance(x, V) else V(x) for x in inputs]
    leaves = [v.base.clone().requires_grad_(grad and v.base.is_floating_point()) for v in views]
    c = {'group': group, 'op': op, 'inputs': [dump(x, v.steps) for x, v in zip(leaves, views)], 'grad': grad,
         'args': enc(list(args)), 'rtol': rtol, 'atol': atol}
    seen = [apply_steps(x, v.steps) for x, v in zip(leaves, views)]
    try:
        r = OPS[op](seen, list(args))
    except Exception as e:  # PyTorch's error is the expected result
        msg = str(e).split('\n')[0]
        if key is not None:
            assert key in msg or key.startswith('!'), (key, msg)
        c['error'] = {'type': etype or ERRORS[type(e).__name__], 'message': msg, 'key': (key or msg).lstrip('!')}
        cases.append(c)
        return
    if key is not None and key.startswith('!'):
        # torchlet refuses what PyTorch 1.13 lets through (a float mask, which it reads as uint8): torchlet's words.
        c['error'] = {'type': etype, 'message': '', 'key': key[1:]}
        cases.append(c)
        return
    assert key is None, (group, op, 'expected an error')
    outs = [r] if isinstance(r, torch.Tensor) else list(r)
    c['outs'] = [dump(o) for o in outs]
    c['requiresGrad'] = [o.requires_grad for o in outs]
    diff = [o for o in outs if o.requires_grad]
    xs = [x for x in leaves if x.requires_grad]
    if diff and xs:
        ups = [(torch.arange(o.numel(), dtype=o.dtype) * 0.5 + 1.0).reshape(o.shape) for o in diff]
        gs = torch.autograd.grad(diff, xs, ups, allow_unused=True, create_graph=grad2)
        c['upstream'] = [dump(u) for u in ups]
        c['grads'] = [None if g is None else dump(g) for g in gs]
        if grad2:
            # Second order: the gradients of sum(grad_i * weight_i), null where a gradient does not depend on the inputs.
            ws = [None if g is None else (torch.arange(g.numel(), dtype=g.dtype) * 0.25 - 1.0).reshape(g.shape) for g in gs]
            terms = [(g * w).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
            c['weights'] = [None if w is None else dump(w) for w in ws]
            g2 = torch.autograd.grad(sum(terms), xs, allow_unused=True) if terms else [None] * len(xs)
            c['grads2'] = [None if g is None else dump(g) for g in g2]
    cases.append(c)


gen = torch.Generator().manual_seed(13)


def R(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen, dtype=dtype)


def L(v):
    return torch.tensor(v, dtype=torch.int64)


def B(v):
    return torch.tensor(v, dtype=torch.bool)


def M(*shape):
    return torch.rand(*shape, generator=gen) > 0.5


FLOATS = [torch.float32, torch.float64]

# ---- maskedFill and friends ---------------------------------------------------------------------------------------
for dt in FLOATS:
    case('maskedFill', 'maskedFill', [R(3, 4, dtype=dt), M(3, 4)], [-inf])
    case('maskedFill', 'maskedFill', [V(R(4, 3, dtype=dt), ('t',)), M(4)], [2.5])  # transposed, mask broadcast
    case('maskedFill', 'maskedFill', [R(3, dtype=dt), M(2, 3)], [0.0])  # x broadcast to the mask
    case('maskedFill', 'maskedFill', [V(R(4, 5, dtype=dt), ('slice', 1, 1, None, 2)), V(M(4, 1), ('expand', [4, 2]))], [-1.0])
    case('maskedFill', 'maskedFill', [R(2, 3, dtype=dt), M(2, 3), torch.tensor(1.5, dtype=dt)])  # a 0-d value tensor with grad
case('maskedFill', 'maskedFill', [R(0, 3), M(0, 3)], [1.0])
case('maskedFill', 'maskedFill', [L([[1, 2, 3]]), M(1, 3)], [2.7])
case('maskedFill', 'maskedFill', [B([True, False, False]), M(3)], [True])
case('maskedFill', 'maskedFill', [R(2, 3), M(2, 3), R(1)], key='only supports a 0-dimensional value tensor')
case('maskedFill', 'maskedFill', [R(2, 3), M(4)], [1.0], key='The size of tensor a (4) must match the size of tensor b (3)')
case('maskedFill', 'maskedFill', [R(2, 3), torch.ones(3)], [1.0], key='!expected BoolTensor for mask', etype='TypeError')
case('maskedFill', 'maskedFill_', [R(3, 4), M(4)], [9.0])
case('maskedFill', 'maskedFill_', [R(3), M(2, 3)], [1.0], key="output with shape [3] doesn't match the broadcast shape [2, 3]")
case('maskedSelect', 'maskedSelect', [R(3, 4), M(3, 4)])
# PyTorch 1.13's gradient here is wrong (a transposed input under a broadcast mask: b[2][0], selected second, gets
# the third upstream value), so only the values are compared; the contiguous cases check the gradient.
case('maskedSelect', 'maskedSelect', [V(R(4, 3, dtype=torch.float64), ('t',)), M(4)], grad=False)
case('maskedSelect', 'maskedSelect', [V(R(4, 3, dtype=torch.float64), ('t',)), V(M(3, 1), ('expand', [3, 4]))])
case('maskedSelect', 'maskedSelect', [R(3), M(2, 3)])
case('maskedSelect', 'maskedSelect', [R(0, 2), M(0, 2)])
case('maskedSelect', 'maskedSelect', [L([[1, 2], [3, 4]]), B([True, False])])
case('maskedSelect', 'maskedSelect', [R(2, 3), M(2)], key='The size of tensor a (2) must match the size of tensor b (3)')
case('maskedScatter', 'maskedScatter', [R(3, 4), M(3, 4), R(15)])
case('maskedScatter', 'maskedScatter', [V(R(4, 3), ('t',)), M(4), R(2, 8)])
case('mask indexing', 'maskIndex', [R(4, 3), B([True, False, True, True])], [0])
case('mask indexing', 'maskIndex', [R(2, 4, 3), M(4, 3)], [1])
case('mask indexing', 'maskIndex', [V(R(3, 4, dtype=torch.float64), ('t',)), M(4, 3)], [0])
case('mask indexing', 'maskIndex', [R(2, 3), B(True)], [0])
case('mask indexing', 'maskIndex', [R(2, 3), B(False)], [0])
case('mask indexing', 'maskIndex', [R(2, 3), B([True, False, True])], [0], key='The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3] at index 0')
for x in [R(3, 4), L([[0, 1, 2], [3, 0, 0]]), B([False, True, True]), torch.tensor(2.0), torch.tensor(0.0), R(0, 3), V(R(3, 4), ('t',))]:
    case('nonzero', 'nonzero', [x], [False], grad=False)
    case('nonzero', 'nonzero', [x], [True], grad=False)
    case('nonzero', 'where1', [x], grad=False)

# ---- tril / triu ----------------------------------------------------------------------------------------------
for op in ['tril', 'triu']:
    for d in [[], [1], [-1], [5], [-4]]:
        case('triangles', op, [R(3, 4)], d)
    case('triangles', op, [R(2, 4, 3, dtype=torch.float64)], [1])  # batched
    case('triangles', op, [V(R(4, 3), ('t',))], [0])
    case('triangles', op, [L([[1, 2], [3, 4]])], [0])
    case('triangles', op, [B([[True, True], [True, True]])], [0])
    case('triangles', op, [R(0, 3)], [])
    case('triangles', op, [R(3)], [], key='Dimension out of range')

# ---- cumsum / cumprod -----------------------------------------------------------------------------------------
for op in ['cumsum', 'cumprod']:
    for dt in FLOATS:
        case('scans', op, [R(3, 4, dtype=dt)], [1])
        case('scans', op, [R(3, 4, dtype=dt)], [0])
        case('scans', op, [V(R(4, 3, dtype=dt), ('t',))], [-1])
        case('scans', op, [V(R(1, 4, dtype=dt), ('expand', [3, 4]))], [0])
    case('scans', op, [torch.tensor(2.5)], [0])
    case('scans', op, [R(0, 3)], [1])
    case('scans', op, [L([[1, 2, 3], [4, 5, 6]])], [1])
    case('scans', op, [B([True, False, True])], [0])
    case('scans', op, [L([1, 2, 3])], [0, 'float32'])
    case('scans', op, [R(3)], [0, 'float64'])
    case('scans', op, [R(3)], [1], key='Dimension out of range')
for v in [[0., 2., 3.], [2., 0., 3., 0.5], [1.5, 2., 0.], [0., 0., 3.], [2., -1., 4.]]:
    case('cumprod zeros', 'cumprod', [torch.tensor(v)], [0])
case('cumprod zeros', 'cumprod', [torch.tensor([[0., 2., 3.], [4., 0., 0.], [1., 2., 3.]], dtype=torch.float64)], [1])
case('cumprod zeros', 'cumprod', [torch.tensor([[0., 2., 3.], [4., 0., 0.], [1., 2., 3.]])], [0])

# ---- sort / argsort / topk ---------------------------------------------------------------------------------
for dt in FLOATS:
    for a in [[-1, False], [-1, True], [0, False], [0, True]]:
        case('sort', 'sort', [R(3, 5, dtype=dt)], a)
        case('sort', 'argsort', [R(3, 5, dtype=dt)], a, grad=False)
    case('sort', 'sort', [V(R(5, 3, dtype=dt), ('t',))], [1, False])
    case('sort', 'sort', [V(R(1, 5, dtype=dt), ('expand', [2, 5]))], [1, True])
nanv = torch.tensor([[3., nan, 1., -inf, inf, 2.], [nan, 0., nan, 5., -1., 5.]])
for a in [[1, False], [1, True], [0, False]]:
    case('sort NaN', 'sort', [nanv], a)
    case('sort NaN', 'argsort', [nanv], a, grad=False)
ties = torch.tensor([2., 1., 2., 1., 3., 1., 2., 2., 0., 1., 1., 2., 3., 0., 2., 1., 2., 2., 1., 3.])
case('sort stable', 'sort', [ties], [0, False])
case('sort stable', 'sort', [ties], [0, True])
case('sort', 'sort', [L([[3, 1, 2], [0, 5, -1]])], [1, False])
case('sort', 'sort', [B([True, False, True])], [0, False])
case('sort', 'sort', [torch.tensor(2.5)], [0, False])
case('sort', 'sort', [R(0, 3)], [1, False])
case('sort', 'sort', [R(3)], [1, False], key='Dimension out of range')
for dt in FLOATS:
    for a in [[2, -1, True], [2, -1, False], [1, 0, True], [3, 0, False], [0, 1, True]]:
        case('topk', 'topk', [R(3, 5, dtype=dt)], a)
    case('topk', 'topk', [V(R(5, 3, dtype=dt), ('t',))], [2, 1, True])
    case('topk', 'topkUnsorted', [R(4, 6, dtype=dt)], [3, -1])
nan1 = torch.tensor([[3., nan, 1., -inf, inf, 2.], [0., 7., nan, 5., -1., 4.]])  # one NaN a row: ties' order is unspecified
case('topk', 'topk', [nan1], [2, 1, True])
case('topk', 'topk', [nan1], [2, 1, False])
case('topk', 'topk', [L([[3, 1, 2], [0, 5, -1]])], [2, 1, True])
# k small next to the lane (torchlet's selection path), NaN and infinities among the values
big = R(3, 70)
big[0, 5], big[1, 17], big[2, 60] = nan, inf, -inf
for a in [[3, 1, True], [3, 1, False], [8, 1, True], [1, 0, False]]:
    case('topk', 'topk', [big], a)
case('topk', 'topk', [V(R(70, 2), ('t',))], [4, 1, True])
case('topk', 'topk', [torch.tensor(2.5)], [1, 0, True])
case('topk', 'topk', [R(3)], [4, 0, True], key='selected index k out of range')
case('topk', 'topk', [R(3)], [-1, 0, True], key='selected index k out of range')
case('topk', 'topk', [B([True, False])], [1, 0, True], key='"topk_cpu" not implemented for \'Bool\'', etype='TypeError')

# ---- oneHot ---------------------------------------------------------------------------------------------------
case('oneHot', 'oneHot', [L([0, 2, 1, 2])], [])
case('oneHot', 'oneHot', [L([[0, 2], [1, 3]])], [5])
case('oneHot', 'oneHot', [V(L([[0, 2], [1, 3]]), ('t',))], [-1])
case('oneHot', 'oneHot', [L(2)], [-1])
case('oneHot', 'oneHot', [L([]).reshape(0, 2)], [3])
case('oneHot', 'oneHot', [L([])], [], key='Can not infer total number of classes from empty tensor.')
case('oneHot', 'oneHot', [L([1, -2])], [], key='Class values must be non-negative.')
case('oneHot', 'oneHot', [L([1, 2])], [2], key='Class values must be smaller than num_classes.')
case('oneHot', 'oneHot', [R(2)], [], key='one_hot is only applicable to index tensor', etype='TypeError')

# ---- repeat, tile, repeatInterleave, flip, roll, meshgrid ------------------------------------------------------
for x in [R(2, 3), V(R(3, 2, dtype=torch.float64), ('t',)), V(R(2, 1), ('expand', [2, 3]))]:
    case('repeat', 'repeat', [x], [[2, 1]])
    case('repeat', 'repeat', [x], [[2, 3, 2]])
    case('repeat', 'tile', [x], [[2]])
    case('repeat', 'tile', [x], [[2, 1, 2]])
    case('repeat', 'flip', [x], [[0]])
    case('repeat', 'flip', [x], [[0, 1]])
    case('repeat', 'flip', [x], [[-1]])
    case('repeat', 'roll', [x], [1])
    case('repeat', 'roll', [x], [[1, -4], [0, 1]])
    case('repeat', 'roll', [x], [5, -1])
    case('repeat', 'repeatInterleave', [x], [2, None])
    case('repeat', 'repeatInterleave', [x], [3, 1])
    case('repeat', 'repeatInterleave', [x, L([1, 0])], [None, 0])
    case('repeat', 'repeatInterleave', [x, L([2])], [None, 0])
    case('repeat', 'repeatInterleave', [x, L(2)], [None, 1])
case('repeat', 'repeat', [L([1, 2])], [[2, 2]])
case('repeat', 'repeat', [B([True, False])], [[2]])
case('repeat', 'repeat', [torch.tensor(2.5)], [[]])
case('repeat', 'repeat', [R(2, 3)], [[2, 0, 1]])
case('repeat', 'repeat', [R(1, 2, 1, 1, 2, 1, 1, 1, 2)], [[1, 2, 1, 1, 1, 1, 2, 1, 1, 1]])  # 9 dims: the result has 10
case('repeat', 'tile', [R(2, 1, 1, 1, 1, 1, 1, 1, 2)], [[2, 1, 1, 1, 1, 1, 1, 3]])
case('repeat', 'repeat', [R(2, 3)], [[1, 1]])
case('repeat', 'repeat', [R(0, 3)], [[2, 2]])
case('repeat', 'repeat', [R(2, 3)], [[2]], key='Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor')
case('repeat', 'repeat', [R(2, 3)], [[2, -1]], key='Trying to create tensor with negative dimension -3: [4, -3]')
case('repeat', 'flip', [R(2, 3)], [[0, 0]], key='dim 0 appears multiple times in the list of dims')
case('repeat', 'flip', [R(2, 3)], [[2]], key='Dimension out of range')
case('repeat', 'flip', [torch.tensor(2.5)], [[0]])
case('repeat', 'flip', [R(0, 3)], [[0, 1]])
case('repeat', 'roll', [R(2, 3)], [[1, 2], [0]], key='shifts and dimensions must align. shifts: 2, dims:1')
case('repeat', 'roll', [R(0, 3)], [1, 0])
case('repeat', 'roll', [L([1, 2, 3])], [1, 0])
case('repeat', 'repeatInterleave', [R(2, 3)], [-1, None], key='repeats can not be negative')
case('repeat', 'repeatInterleave', [R(2, 3), L([1, 2, 3])], [None, 0], key='repeats must have the same size as input along dim')
case('repeat', 'repeatInterleave', [R(2, 3), L([[1, 2]])], [None, 0], key='repeats must be 0-dim or 1-dim tensor')
case('repeat', 'repeatInterleave', [torch.tensor(2.5)], [2, None])
case('repeat', 'repeatInterleave', [L([1, 2, 3])], [2, 0])
for idx in ['ij', 'xy']:
    case('meshgrid', 'meshgrid', [R(3), R(4)], [idx])
    case('meshgrid', 'meshgrid', [R(2), R(3, dtype=torch.float32), R(4)], [idx])
    case('meshgrid', 'meshgrid', [R(3), torch.tensor(2.0)], [idx])
    case('meshgrid', 'meshgrid', [L([1, 2]), L([3, 4, 5])], [idx])
case('meshgrid', 'meshgrid', [R(2, 2), R(3)], ['ij'], key='Expected 0D or 1D tensor in the tensor list')

# ---- einsum, baddbmm ------------------------------------------------------------------------------------------
for dt in FLOATS:
    case('einsum', 'einsum', [R(2, 3, 4, dtype=dt), R(2, 4, 5, dtype=dt)], ['bij,bjk->bik'])
    case('einsum', 'einsum', [R(3, dtype=dt), R(4, dtype=dt)], ['i,j->ij'])
    case('einsum', 'einsum', [R(3, 4, dtype=dt)], ['ij->ji'])
    case('einsum', 'einsum', [R(3, 3, dtype=dt)], ['ii->'])
    case('einsum', 'einsum', [R(3, 3, dtype=dt)], ['ii->i'])
    case('einsum', 'einsum', [R(3, 4, dtype=dt)], ['ij->i'])
    case('einsum', 'einsum', [R(3, 4, dtype=dt), R(4, 2, dtype=dt)], ['ij,jk'])
    case('einsum', 'einsum', [R(2, 5, 3, 4, dtype=dt), R(5, 4, 2, dtype=dt)], ['...ij,...jk->...ik'], atol=1e-5)
case('einsum', 'einsum', [V(R(4, 3), ('t',)), V(R(1, 4), ('expand', [5, 4]))], ['ij,kj->ik'])
case('einsum', 'einsum', [R(2, 3, 4, 5), R(2, 3, 6, 5)], ['bhqd,bhkd->bhqk'])
case('einsum', 'einsum', [R(3, 4), R(4), R(3)], ['ij,j,i->'])
case('einsum', 'einsum', [R(2, 3, 3)], ['bii->b'])
case('einsum', 'einsum', [R(3, 4)], ['ba'])
case('einsum', 'einsum', [R(3, 1), R(4)], ['ij,j->ij'])
case('einsum', 'einsum', [R(0, 3), R(3, 2)], ['ij,jk->ik'])
case('einsum', 'einsum', [L([[1, 2], [3, 4]]), L([1, 1])], ['ij,j->i'])
case('einsum', 'einsum', [R(3, 4)], ['ij->k'], key='output subscript k does not appear in the equation for any input operand')
case('einsum', 'einsum', [R(3, 4), R(3, 4)], ['ij'], key='more operands were provided than specified in the equation')
case('einsum', 'einsum', [R(3, 4)], ['ijk->'], key='the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given')
case('einsum', 'einsum', [R(2, 3)], ['ii'], key="subscript i is repeated for operand 0 but the sizes don't match, 3 != 2")
case('einsum', 'einsum', [R(2, 3), R(2, 3)], ['ij,jk->ik'], key='subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3')
case('einsum', 'einsum', [R(3)], ['i->ii'], key='output subscript i appears more than once in the output')
case('einsum', 'einsum', [R(2, 3), L([[1, 2, 3], [4, 5, 6]])], ['ij,ij->i'], key='expected scalar type Float but found Long', etype='TypeError')
for dt in FLOATS:
    case('baddbmm', 'baddbmm', [R(2, 3, 4, dtype=dt), R(2, 3, 5, dtype=dt), R(2, 5, 4, dtype=dt)], [1, 1])
    case('baddbmm', 'baddbmm', [R(3, 4, dtype=dt), R(2, 3, 5, dtype=dt), R(2, 5, 4, dtype=dt)], [0.5, -2.0])
    case('baddbmm', 'baddbmm', [R(4, dtype=dt), V(R(2, 5, 3, dtype=dt), ('transpose', 1, 2)), R(2, 5, 4, dtype=dt)], [2.0, 0.25])
case('baddbmm', 'baddbmm', [R(2, 3, 4), R(2, 3, 5), R(2, 6, 4)], [1, 1], key='Expected size for first two dimensions of batch2 tensor to be: [2, 5] but got: [2, 6].')

# ---- scatter, scatterReduce ---------------------------------------------------------------------------------
idx = L([[0, 1, 0], [1, 2, 1]])
for dt in FLOATS:
    case('scatter', 'scatter', [R(3, 3, dtype=dt), idx, R(2, 3, dtype=dt)], [0])
    case('scatter', 'scatter', [R(3, 3, dtype=dt), idx, R(2, 4, dtype=dt)], [1], grad=False)  # PyTorch's backward fails here
    case('scatter', 'scatter', [V(R(3, 3, dtype=dt), ('t',)), idx, V(R(3, 2, dtype=dt), ('t',))], [0])
    case('scatter', 'scatter', [R(3, 3, dtype=dt), idx], [0, 2.5])
    case('scatter', 'scatter', [R(3, 3, dtype=dt), idx, R(2, 3, dtype=dt)], [0, None, 'add'], grad=False)
    case('scatter', 'scatter', [R(3, 3, dtype=dt), idx], [1, 2.0, 'multiply'], grad=False)
case('scatter', 'scatter', [L([[1, 2, 3], [4, 5, 6]]), L([[1, 0, 1]])], [0, 9])
case('scatter', 'scatter', [R(2, 3), L([[0, 2, 0]])], [0, 1.0], key='index 2 is out of bounds for dimension 0 with size 2')
case('scatter', 'scatter', [R(2, 3), L([[-1, 0, 0]])], [0, 1.0], key='index -1 is out of bounds for dimension 0 with size 2')
case('scatter', 'scatter', [R(2, 3), L([[0, 1, 0, 1]])], [0, 1.0], key='Expected index [1, 4] to be smaller than self [2, 3] apart from dimension 0')
case('scatter', 'scatter', [R(2, 3), L([[0, 1, 0]]), R(1, 2)], [0], key='to be smaller size than src [1, 2]')
case('scatter', 'scatter', [R(2, 3), L([[0, 1, 0]])], [0, 1.0, 'mul'], key='reduce argument must be either add or multiply.')
case('scatter', 'scatter', [R(2, 3), L([0, 1, 0])], [0, 1.0], key='Index tensor must have the same number of dimensions as self tensor')
for red in ['sum', 'mean', 'amax', 'amin', 'prod']:
    for inc in [True, False]:
        g = red != 'prod'
        case('scatterReduce', 'scatterReduce', [R(3, 4), L([[0, 1, 0, 2], [0, 2, 0, 2]]), R(2, 4)], [0, red, inc], grad=g)
        case('scatterReduce', 'scatterReduce', [torch.tensor([1., 2., 3., 4.]), L([0, 0, 2, 2, 0]), torch.tensor([1., 4., 3., 3., 0.5])], [0, red, inc], grad=g)
case('scatterReduce', 'scatterReduce', [R(3, 4), L([[0, 1, 0, 2]]), R(1, 4)], [0, 'max', True], key='reduce argument must be either sum, prod, mean, amax or amin')

# ---- diagonal, diag ---------------------------------------------------------------------------------------------
for a in [[], [1], [-1], [0, 1, 0], [1, 0, 2], [-1, 2, 0], [5]]:
    case('diagonal', 'diagonal', [R(3, 4, 2) if len(a) > 1 else R(3, 4)], a)
case('diagonal', 'diagonal', [V(R(4, 3, dtype=torch.float64), ('t',))], [1])
case('diagonal', 'diagonal', [R(2, 3)], [0, 1, 1], key='diagonal dimensions cannot be identical 1, 1')
case('diagonal', 'diagonal', [R(3)], [], key='Dimension out of range')
for a in [[], [1], [-2]]:
    case('diag', 'diag', [R(3)], a)
    case('diag', 'diag', [R(3, 4)], a)
case('diag', 'diag', [L([1, 2])], [])
case('diag', 'diag', [R(2, 2, 2)], [], key='matrix or a vector expected')

# ---- lerp, addcmul, addcdiv ---------------------------------------------------------------------------------
for dt in FLOATS:
    for w in [0.25, 0.75, -0.5, 1.0]:
        case('lerp', 'lerp', [R(3, 4, dtype=dt), R(3, 4, dtype=dt)], [w])
    case('lerp', 'lerp', [R(3, 4, dtype=dt), R(4, dtype=dt), torch.tensor([[0.1], [0.6], [1.2]], dtype=dt)])
    case('lerp', 'lerp', [V(R(4, 3, dtype=dt), ('t',)), R(3, 4, dtype=dt), torch.tensor(0.3, dtype=dt)])
    case('addc', 'addcmul', [R(3, 4, dtype=dt), R(4, dtype=dt), V(R(4, 3, dtype=dt), ('t',))], [0.5])
    case('addc', 'addcdiv', [R(3, 4, dtype=dt), R(4, dtype=dt), R(3, 1, dtype=dt).abs() + 0.5], [-2.0])
case('lerp', 'lerp', [R(3), R(3, dtype=torch.float64)], [0.5], key='expected dtype float for `end` but got dtype double', etype='TypeError')
case('addc', 'addcmul', [L([1, 2]), L([3, 4]), L([5, 6])], [2])
case('addc', 'addcdiv', [R(2), L([3, 4]), L([5, 6])], [2], key='Integer division with addcdiv is no longer supported', etype='TypeError')

# ---- infinities and NaN ------------------------------------------------------------------------------------
special = torch.tensor([[1.0, inf, -inf], [nan, -0.0, 3e38]])
for dt in FLOATS:
    for op in ['isinf', 'isfinite', 'isposinf', 'isneginf']:
        case('nonfinite', op, [special.to(dt)])
    case('nonfinite', 'nanToNum', [special.to(dt)], [])
    case('nonfinite', 'nanToNum', [special.to(dt)], [0.5, 100.0, -100.0])
    case('nonfinite', 'nanToNum', [special.to(dt)], [None, None, -7.0])
for op in ['isinf', 'isfinite', 'isposinf', 'isneginf', 'nanToNum']:
    case('nonfinite', op, [L([1, 2])])
    case('nonfinite', op, [B([True, False])])

# ---- var / std with correction ----------------------------------------------------------------------------------
for op in ['var', 'std']:
    for dt in FLOATS:
        for a in [[1, 0, False], [1, 2, True], [None, 1, False], [[0, 1], 0, True], [0, 1, False]]:
            case('correction', op, [R(4, 5, dtype=dt)], a)
    case('correction', op, [V(R(5, 4), ('t',))], [1, 3, False])

# ---- new* constructors ----------------------------------------------------------------------------------------
for x in [R(2), L([1]), B([True]), R(1, dtype=torch.float64)]:
    case('new', 'newFull', [x], [[2, 3], 7], grad=False)
    case('new', 'newZeros', [x], [[3]], grad=False)
    case('new', 'newOnes', [x], [[2]], grad=False)
    case('new', 'newOnes', [x], [[2], 'float64'], grad=False)
    case('new', 'newTensor', [x], [[[1, 2], [3, 4]]], grad=False)

# ---- clamp with tensor bounds ------------------------------------------------------------------------------------
lo, hi = torch.tensor([-0.5, 0.0, 0.5, 2.0]), torch.tensor([0.5, 1.0, 0.25, 3.0])
x = torch.tensor([[-1.0, 0.5, 0.3, 2.5], [0.6, -0.2, 0.1, 4.0], [-0.5, 1.0, 0.25, 2.0]])
for dt in FLOATS:
    case('clamp tensors', 'clamp', [x.to(dt), lo.to(dt), hi.to(dt)], [[1, 2]])  # ties at the bounds, min > max
    case('clamp tensors', 'clamp', [x.to(dt), lo.to(dt)], [[1, 5]])  # min only
    case('clamp tensors', 'clamp', [x.to(dt), hi.to(dt)], [[5, 1]])  # max only
    case('clamp tensors', 'clamp', [V(x.t().contiguous().to(dt), ('t',)), lo[:, None][:3].to(dt), hi.to(dt)], [[1, 2]])
case('clamp tensors', 'clamp', [torch.tensor([1., nan, 9., 3.]), torch.tensor([2., nan, 2., nan]), torch.tensor([4., 6., nan, 5.])], [[1, 2]])
case('clamp tensors', 'clamp', [L([1, 5, 9]), torch.tensor([2., 2., 2.])], [[1, 5]])
case('clamp tensors', 'clamp', [torch.tensor([1., 5., 9.]), L([2, 2, 2]), L([4, 6, 8])], [[1, 2]])
case('clamp tensors', 'clamp', [R(0, 4), lo], [[1, 5]])
case('clamp tensors', 'clamp', [R(2, 3), R(4)], [[1, 5]], key='The size of tensor a (3) must match the size of tensor b (4)')

# ---- unique, searchsorted, bucketize ------------------------------------------------------------------------------
for x in [L([3, 1, 2, 3, 1]), L([[3, 1], [2, 3]]), B([True, False, True]), torch.tensor([2.5, -1.0, 2.5, 0.0, -0.0]), L([]),
          V(L([[3, 1, 4], [1, 5, 9]]), ('t',))]:
    for flags in [[False, False], [True, False], [False, True], [True, True]]:
        case('unique', 'unique', [x], flags + [None], grad=False)
rows = L([[3, 1], [3, 1], [2, 3], [2, 1]])
for d in [0, 1, -1]:
    case('unique', 'unique', [rows], [True, True, d], grad=False)
case('unique', 'unique', [torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.5, 9.0]]).t()], [True, True, 1], grad=False)
seq = L([1, 3, 5, 5, 7])
for dt in [torch.int64, torch.float32, torch.float64]:
    for r in [False, True]:
        case('searchsorted', 'searchsorted', [seq.to(dt), L([[0, 3, 5], [6, 7, 9]]).to(dt)], [r, None, None])
        case('searchsorted', 'bucketize', [L([[0, 3, 5], [6, 7, 9]]).to(dt), seq.to(dt)], [r])
case('searchsorted', 'searchsorted', [seq, L([3, 6])], [False, 'right', None])
case('searchsorted', 'searchsorted', [L([[1, 3, 5, 7], [2, 4, 6, 8]]), L([[3, 6, 9], [3, 6, 9]])], [False, None, None])
case('searchsorted', 'searchsorted', [V(L([[1, 2], [3, 4], [5, 6]]), ('t',)), L([[3, 6], [0, 4]])], [True, None, None])
case('searchsorted', 'searchsorted', [torch.tensor([1., 3., nan]), torch.tensor([nan, 2., inf])], [False, None, None])
case('searchsorted', 'searchsorted', [L([5, 1, 3]), L([2, 4, 6]), L([1, 2, 0])], [False, None, None])
case('searchsorted', 'searchsorted', [seq], [False, None, 4])
case('searchsorted', 'searchsorted', [seq, L([]).reshape(0, 2)], [False, None, None])
case('searchsorted', 'bucketize', [L(3), seq], [False])
case('searchsorted', 'searchsorted', [L([[1, 3, 5, 7], [2, 4, 6, 8]]), L([3, 6, 9])], [False, None, None],
     key='boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match')
case('searchsorted', 'searchsorted', [seq, L([3, 6])], [False, 'middle', None], key="side can only be 'left' or 'right' but got middle")
case('searchsorted', 'bucketize', [L([3]), L([[1, 3]])], [False], key='boundaries tensor must be 1 dimension, but got dim(2)')

# ---- matmul broadcasting, bmm ----------------------------------------------------------------------------------
for dt in FLOATS:
    case('matmul broadcast', 'matmul', [R(2, 1, 3, 4, dtype=dt), R(5, 4, 2, dtype=dt)])
    case('matmul broadcast', 'matmul', [R(3, 4, dtype=dt), R(2, 4, 5, dtype=dt)])
    case('matmul broadcast', 'matmul', [R(2, 3, 4, dtype=dt), R(4, dtype=dt)])
    case('matmul broadcast', 'matmul', [R(4, dtype=dt), R(2, 4, 5, dtype=dt)])
    case('matmul broadcast', 'matmul', [V(R(2, 4, 3, dtype=dt), ('transpose', 1, 2)), V(R(1, 4, 5, dtype=dt), ('expand', [2, 4, 5]))])
case('matmul broadcast', 'matmul', [R(2, 3, 4), R(3, 4, 5)], key='The size of tensor a (2) must match the size of tensor b (3)')
case('matmul broadcast', 'bmm', [R(2, 3, 4), R(3, 4, 5)], key='Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].')
case('matmul broadcast', 'bmm', [R(2, 3, 4), R(2, 5, 5)], key='Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].')

# ---- second order: the gradients are themselves differentiable -------------------------------------------------
case('second order', 'maskedFill', [R(3, 4), M(3, 4), torch.tensor(1.5)], grad2=True)
case('second order', 'tril', [R(3, 4)], [0], grad2=True)
case('second order', 'cumsum', [R(3, 4, dtype=torch.float64)], [1], grad2=True)
case('second order', 'cumprod', [R(3, 4, dtype=torch.float64)], [1], grad2=True)
case('second order', 'cumprod', [torch.tensor([[0.5, 2., 0., 3.], [1.5, -1., 2., 0.]], dtype=torch.float64)], [1], grad2=True)
case('second order', 'sort', [R(3, 5)], [1, True], grad2=True)
case('second order', 'topk', [R(3, 5)], [2, 1, True], grad2=True)
case('second order', 'einsum', [R(2, 3, 4, dtype=torch.float64), R(2, 4, 5, dtype=torch.float64)], ['bij,bjk->bik'], grad2=True)
case('second order', 'einsum', [R(3, 3, dtype=torch.float64)], ['ii->'], grad2=True)
case('second order', 'scatter', [R(3, 3), idx, R(2, 3)], [0], grad2=True)
case('second order', 'clamp', [torch.tensor([[-1.0, 0.5, 0.3, 2.5], [0.6, -0.2, 0.1, 4.0]], dtype=torch.float64), lo.to(torch.float64), hi.to(torch.float64)],
     [[1, 2]], grad2=True)
case('second order', 'lerp', [R(3, 4, dtype=torch.float64), R(3, 4, dtype=torch.float64), R(3, 4, dtype=torch.float64)], grad2=True)
case('second order', 'diag', [R(3)], [1], grad2=True)
case('second order', 'maskedSelect', [R(3, 4), M(3, 4)], grad2=True)
case('second order', 'repeat', [R(2, 3)], [[2, 1, 2]], grad2=True)
case('second order', 'roll', [R(2, 3)], [[1, -1], [0, 1]], grad2=True)

# ---- norms, closeness and outer products -------------------------------------------------------------------------
for dt in FLOATS:
    for p in ['fro', 2, 1, 3, 0.5, 1.5, inf, -inf, 0]:
        case('norm', 'norm', [R(3, 4, dtype=dt)], [p])
        case('norm', 'norm', [R(3, 4, dtype=dt)], [p, 1, True])
    case('norm', 'norm', [V(R(4, 3, dtype=dt), ('t',))], [2, [0, 1]])
    case('norm', 'norm', [R(2, 3, 4, dtype=dt)], [2, [0, 2]])
zero_row = torch.tensor([[0., 2., -3.], [0., 0., 0.]])
special = torch.tensor([[nan, 1., 1.], [inf, -2., 1.], [-inf, inf, 0.]])
for p in [2, 1, 3, 0.5, inf, -inf]:
    case('norm', 'norm', [zero_row], [p, 1])
    case('norm', 'norm', [special], [p, 1])
case('norm', 'norm', [torch.tensor([1e20, 1e20]), ], [2])  # float32 squares overflow, as PyTorch 1.13
case('norm', 'norm', [R(0, 3)], [inf, 0])
case('norm', 'norm', [R(0, 3)], [2, 1])
case('norm', 'norm', [R(())], [2])
case('norm', 'norm', [L([1, 2])], [2], key='input dtype should be either floating point or complex', etype='TypeError')
case('norm', 'norm', [R(2, 2)], ['bogus'], key="only valid string values are 'fro' and 'nuc', found bogus")
case('norm second order', 'norm', [R(3, 4, dtype=torch.float64)], [2, 1], grad2=True)
case('norm second order', 'norm', [R(3, 4, dtype=torch.float64)], [3], grad2=True)
for dt in FLOATS:
    case('normalize', 'normalize', [R(3, 4, dtype=dt)], [])
    case('normalize', 'normalize', [R(3, 4, dtype=dt)], [1, 0])
    case('normalize', 'normalize', [zero_row.to(dt)], [2, 1])
    case('normalize', 'normalize', [R(2, 3, 4, dtype=dt)], [3, -1, 1e-3])
case('normalize', 'normalize', [L([[1, 2]])], [], key='input dtype should be either floating point or complex', etype='TypeError')
a = R(3, 4)
b = a + R(3, 4) * 1e-6
for rtol, atol, eq_nan in [(1e-5, 1e-8, False), (0, 0, False), (1e-3, 0, False), (0, 1e-7, False)]:
    case('isclose', 'isclose', [a, b], [rtol, atol, eq_nan], grad=False)
    case('isclose', 'allclose', [a, b], [rtol, atol, eq_nan], grad=False)
nans = torch.tensor([nan, inf, -inf, 1., 0., inf])
nans2 = torch.tensor([nan, inf, inf, 1.00001, 1e-9, 1e30])
for eq_nan in [False, True]:
    case('isclose', 'isclose', [nans, nans2], [1e-5, 1e-8, eq_nan], grad=False)
case('isclose', 'isclose', [R(3, 1), R(1, 4)], [1.0, 0.5, False], grad=False)  # broadcast
case('isclose', 'isclose', [L([1, 2, 3]), L([1, 3, 3])], [1e-5, 1e-8, False], grad=False)
case('isclose', 'isclose', [L([100, 2]), L([101, 2])], [0.02, 0, False], grad=False)
case('isclose', 'isclose', [R(3), R(3, dtype=torch.float64)], [1e-5, 1e-8, False], grad=False, etype='TypeError', key='Float did not match Double')
case('isclose', 'isclose', [R(3), R(3)], [-1, 1e-8, False], grad=False, key='rtol must be greater than or equal to zero, but got -1')
case('isclose', 'isclose', [R(3), R(3)], [1e-5, -1, False], grad=False, key='atol must be greater than or equal to zero, but got -1')
eq = R(2, 3)
for other in [eq.clone(), eq + 1, eq.reshape(3, 2), eq.to(torch.float64), torch.tensor([[nan]])]:
    case('equal', 'equal', [eq, other], grad=False)
case('outer', 'outer', [R(3), R(4)])
case('outer', 'outer', [R(3, dtype=torch.float64), V(R(8, dtype=torch.float64), ('slice', 0, 0, None, 2))])
case('outer', 'outer', [L([1, 2]), R(2)])
case('outer', 'outer', [L([1, 2]), L([3, 4, 5])])
case('outer', 'outer', [R(2, 2), R(2)], key='outer: Expected 1-D argument self, but got 2-D')
case('outer', 'outer', [R(2), R(2, 2)], key='outer: Expected 1-D argument vec2, but got 2-D')

with open(OUT, 'w') as f:
    json.dump({'generator': 'scripts/gen_seqops_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    f.write('\n')
print(f'seqops.json: {len(cases)} cases')
