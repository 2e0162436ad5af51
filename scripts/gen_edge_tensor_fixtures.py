#!/usr/bin/env python3
"""Writes test/fixtures/edge_tensor.json: edge cases of indexing, reductions and movement ops, from PyTorch 1.13.1.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_edge_tensor_fixtures.py

Each case names an op of the OPS table below (test/ops/edge.test.ts spells the same op in torchlet), its inputs
(float inputs require grad unless the case says otherwise) and its arguments. The fixture holds what PyTorch gives:
either the error (its class and message), or the outputs with their requires_grad flags, the gradients of the
outputs against fixed upstream gradients (null where PyTorch gives None), and with grad2 the second-order gradients
of sum(grad_i * w_i) for fixed weights w_i (double backward through create_graph).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import apply_steps, dump_tensor, enc  # noqa: E402  (the shared encoding and view steps)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'edge_tensor.json')
torch.set_num_threads(1)
nan, inf = float('nan'), float('inf')


def dump(t, steps=()):
    if t is None:
        return None
    d = dump_tensor(t)
    if steps:
        d['steps'] = [list(s) for s in steps]
    return d


class View:
    """An input that the op sees through view steps (transpose, slice, expand, ...) of a base tensor; gradients are
    taken with respect to the base."""

    def __init__(self, base, *steps):
        self.base = base
        self.steps = list(steps)


def ramp(like, scale, shift):
    """Fixed, distinct values shaped like `like` (upstream gradients and double-backward weights)."""
    return (torch.arange(like.numel(), dtype=like.dtype) * scale + shift).reshape(like.shape)


def outputs(r):
    if isinstance(r, torch.Tensor):
        return [r]
    return list(r)  # tuples, lists and torch.return_types (values, indices)


# The PyTorch call of each op: (inputs, args) -> tensor or sequence of tensors. The test spells each in torchlet.
OPS = {
    'index': lambda t, a: t[0][tuple(slice(None) for _ in range(a[0])) + (t[1],)],
    'indexInt': lambda t, a: t[0][a[0]],
    'slice': lambda t, a: t[0][tuple(slice(None) for _ in range(a[0])) + (slice(a[1], a[2], a[3]),)],
    'indexSelect': lambda t, a: t[0].index_select(a[0], t[1]),
    'gather': lambda t, a: t[0].gather(a[0], t[1]),
    'scatterAdd': lambda t, a: t[0].scatter_add(a[0], t[1], t[2]),
    'indexAdd': lambda t, a: t[0].index_add(a[0], t[1], t[2]),
    'sum': lambda t, a: t[0].sum() if not a else t[0].sum(a[0], keepdim=a[1]),
    'mean': lambda t, a: t[0].mean() if not a else t[0].mean(a[0], keepdim=a[1]),
    'prod': lambda t, a: t[0].prod() if not a else t[0].prod(a[0], keepdim=a[1]),
    'amax': lambda t, a: t[0].amax() if not a else t[0].amax(a[0], keepdim=a[1]),
    'amin': lambda t, a: t[0].amin() if not a else t[0].amin(a[0], keepdim=a[1]),
    'max': lambda t, a: t[0].max() if not a else t[0].max(a[0], keepdim=a[1]),
    'min': lambda t, a: t[0].min() if not a else t[0].min(a[0], keepdim=a[1]),
    'argmax': lambda t, a: t[0].argmax() if not a else t[0].argmax(a[0], keepdim=a[1]),
    'argmin': lambda t, a: t[0].argmin() if not a else t[0].argmin(a[0], keepdim=a[1]),
    'var': lambda t, a: t[0].var() if not a else t[0].var(a[0], unbiased=a[1]),
    'std': lambda t, a: t[0].std() if not a else t[0].std(a[0], unbiased=a[1]),
    'logsumexp': lambda t, a: t[0].logsumexp(a[0]),
    'softmax': lambda t, a: t[0].softmax(a[0]),
    'logSoftmax': lambda t, a: t[0].log_softmax(a[0]),
    'layerNorm': lambda t, a: F.layer_norm(t[0], a[0]),
    'crossEntropy': lambda t, a: F.cross_entropy(t[0], t[1], reduction=a[0]),
    'maxPool2d': lambda t, a: F.max_pool2d(t[0], a[0]),
    'add': lambda t, a: t[0] + t[1],
    'mul': lambda t, a: t[0] * t[1],
    'addmm': lambda t, a: torch.addmm(t[0], t[1], t[2], beta=a[0] if a else 1, alpha=a[1] if a else 1),
    'linear': lambda t, a: F.linear(t[0], t[1], t[2]),
    'expand': lambda t, a: t[0].expand(*a[0]),
    'pad': lambda t, a: F.pad(t[0], a[0]),
    'copy': lambda t, a: t[0].detach().clone().copy_(t[1]),
    'strides': lambda t, a: torch.tensor(torch.zeros(a[0]).stride(), dtype=torch.int64),
    'unbind': lambda t, a: t[0].unbind(a[0]),
    'split': lambda t, a: t[0].split(a[0], a[1]),
    'chunk': lambda t, a: t[0].chunk(a[0], a[1]),
    'tensorSplit': lambda t, a: torch.tensor_split(t[0], a[0], a[1]),
    'cat': lambda t, a: torch.cat(t, a[0]),
    'transpose': lambda t, a: t[0].transpose(a[0], a[1]),
    'permute': lambda t, a: t[0].permute(a[0]),
    'reshape': lambda t, a: t[0].reshape(a[0]),
    'squeeze': lambda t, a: t[0].squeeze() if not a else t[0].squeeze(a[0]),
    'unsqueeze': lambda t, a: t[0].unsqueeze(a[0]),
    'flatten': lambda t, a: t[0].flatten(),
    't': lambda t, a: t[0].t(),
    'select': lambda t, a: t[0].select(a[0], a[1]),
    'flattenDims': lambda t, a: t[0].flatten(a[0], a[1]),
    'broadcastTo': lambda t, a: torch.broadcast_to(t[0], a[0]),
    'narrow': lambda t, a: t[0].narrow(a[0], a[1], a[2]),
    'view': lambda t, a: t[0].view(a[0]),
    'indexSpecs': lambda t, a: t[0][tuple(Ellipsis if x == '...' else slice(None) for x in a[0])],
    'viewAs': lambda t, a: t[0].view_as(t[0]),
    'reshapeAs': lambda t, a: t[0].reshape_as(t[0]),
    'expandAs': lambda t, a: t[0].expand_as(t[0]),
    'contiguous': lambda t, a: t[0].contiguous(),
    'sumToSize': lambda t, a: t[0].sum_to_size(a[0]),
    'T': lambda t, a: t[0].T,
    'mm': lambda t, a: t[0].mm(t[1]),
    'bmm': lambda t, a: t[0].bmm(t[1]),
    'matmul': lambda t, a: t[0] @ t[1],
    'dot': lambda t, a: t[0].dot(t[1]),
    'linearNoBias': lambda t, a: F.linear(t[0], t[1]),
    'avgPool2d': lambda t, a: F.avg_pool2d(t[0], a[0]),
    'adaptiveAvgPool2d': lambda t, a: F.adaptive_avg_pool2d(t[0], a[0]),
    'adaptiveMaxPool2d': lambda t, a: F.adaptive_max_pool2d(t[0], a[0]),
    'conv1d': lambda t, a: F.conv1d(t[0], t[1], padding=a[0]),
    'conv2d': lambda t, a: F.conv2d(t[0], t[1], padding=a[0]),
}

ERRORS = {'IndexError': 'RangeError', 'RuntimeError': 'RangeError', 'ValueError': 'RangeError', 'TypeError': 'TypeError'}
cases = []


def case(group, op, inputs, args=(), grad=True, grad2=False, key=None, rtol=1e-5, atol=1e-6, alias=False):
    """One fixture case. With `alias` the outputs are also differentiated as values: the gradients of
    sum(out_i * upstream_i) + sum(input_0 * aliasWeight) with respect to the outputs tell a new view (upstream_i
    alone) from the input object itself (the input's term added). `key` is the part of PyTorch's error message torchlet's must contain (default: all of it);
    a key starting with '!' is torchlet's own wording, for the few errors PyTorch words after an internal kernel
    (index_select's "INDICES element is out of DATA bounds, id=4 axis_dim=3")."""
    views = [x if isinstance(x, View) else View(x) for x in inputs]
    leaves = []
    for v in views:
        x = v.base.clone()
        if grad and x.is_floating_point():
            x.requires_grad_()
        leaves.append(x)
    c = {'group': group, 'op': op, 'inputs': [dump(x, v.steps) for x, v in zip(leaves, views)], 'grad': grad,
         'args': enc(list(args)), 'rtol': rtol, 'atol': atol}
    seen = [apply_steps(x, v.steps) for x, v in zip(leaves, views)]
    try:
        outs = outputs(OPS[op](seen, list(args)))
    except Exception as e:  # PyTorch's error is the expected result
        msg = str(e).split('\n')[0]
        if key is not None:
            assert key in msg or key.startswith('!'), (key, msg)
        c['error'] = {'type': ERRORS[type(e).__name__], 'message': msg, 'key': (key or msg).lstrip('!')}
        cases.append(c)
        return
    assert 'error' not in c and key is None, (group, op, 'expected an error')
    c['outs'] = [dump(o) for o in outs]
    c['requiresGrad'] = [o.requires_grad for o in outs]
    diff = [o for o in outs if o.requires_grad]
    xs = [x for x in leaves if x.requires_grad]
    if diff and xs:
        ups = [ramp(o, 0.5, 1.0) for o in diff]
        gs = torch.autograd.grad(diff, xs, ups, allow_unused=True, create_graph=grad2)
        c['upstream'] = [dump(u) for u in ups]
        c['grads'] = [dump(g) for g in gs]
        if alias:
            w = ramp(seen[0], 0.25, 2.0)
            loss = sum((o * u).sum() for o, u in zip(diff, ups)) + (seen[0] * w).sum()
            c['aliasWeight'] = dump(w)
            c['aliasGrads'] = [dump(g) for g in torch.autograd.grad(loss, diff, allow_unused=True)]
        if grad2:
            ws = [ramp(g, 0.25, -1.0) if g is not None else None for g in gs]
            terms = [(g * w).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
            c['weights'] = [dump(w) for w in ws]
            if terms:
                g2 = torch.autograd.grad(sum(terms), xs, allow_unused=True)
                c['grads2'] = [dump(g) for g in g2]
            else:
                c['grads2'] = None  # the gradients do not depend on the inputs
    cases.append(c)


def T(v, dtype=torch.float32):
    return torch.tensor(v, dtype=dtype)


def L(v):
    return torch.tensor(v, dtype=torch.int64)


x3 = T([1., 2., 3.])
x34 = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5 - 2

# ---- 1, 14: index-taking ops: negative positions, out of range, empty dims -----------------------------------------
for idx in [[-1], [-3, 0, 2, -1], [], [2, -2]]:
    case('index negative', 'index', [x3, L(idx)], [0], grad2=True)
case('index negative', 'index', [x34, L([-1, 0, -4])], [1])
case('index negative', 'index', [x34, L([-3, 2])], [0])
case('index out of range', 'index', [x3, L([-4])], [0])
case('index out of range', 'index', [x3, L([3])], [0])
case('index out of range', 'index', [torch.zeros(0), L([0])], [0])
case('index out of range', 'index', [torch.zeros(2, 3, 0), L([4])], [1])  # empty result: PyTorch reads no index
case('index out of range', 'index', [torch.zeros(0, 3), L([5])], [1])
for op in ['indexSelect', 'gather']:
    case(f'{op} range', op, [x3, L([-1])], [0])
    case(f'{op} range', op, [x3, L([3])], [0])
    case(f'{op} range', op, [x3, L([2, 0])], [0], grad2=True)
case('indexSelect range', 'indexSelect', [torch.zeros(2, 3, 0), L([4])], [1],
     key='!indexSelect: index out of range in self')
case('indexSelect range', 'indexSelect', [torch.zeros(2, 3, 0), L([2])], [1])
case('indexSelect range', 'indexSelect', [torch.zeros(2, 3, 0), L([-1])], [1], key='!index out of range in self')
case('indexSelect range', 'indexSelect', [torch.zeros(2, 0), L([0])], [1], key='self indexing axis dim should be positive')
case('indexSelect range', 'indexSelect', [torch.zeros(2, 0), L([])], [1])
case('indexSelect range', 'indexSelect', [T(5.), L([0])], [0])
case('indexSelect range', 'indexSelect', [T(5.), L([-1])], [0])
case('indexSelect range', 'indexSelect', [T(5.), L([1])], [0])
case('indexSelect range', 'indexSelect', [x34, L([3, -1])], [1], key='!index out of range in self')
for i in [L(0), L([0]), L(1), L(-1)]:
    case('0-d index ops', 'gather', [T(2.5), i], [0], grad2=True)
    case('0-d index ops', 'scatterAdd', [T(2.5), i, T(1.5) if i.dim() == 0 else T([1.5])], [0], grad2=True)
case('0-d index ops', 'indexAdd', [T(2.5), L([0]), T(1.5)], [0], grad2=True)
case('gather range', 'gather', [torch.zeros(2, 0), torch.zeros(2, 1, dtype=torch.int64)], [1])
case('gather range', 'gather', [torch.zeros(2, 0), torch.zeros(2, 0, dtype=torch.int64)], [1])
case('gather range', 'gather', [x34, torch.full((0, 4), 7, dtype=torch.int64)], [0])
case('gather range', 'gather', [x34, L([[0, -1], [2, 1]])], [1])
case('scatterAdd range', 'scatterAdd', [x3, L([-1]), T([1.])], [0])
case('scatterAdd range', 'scatterAdd', [x3, L([3]), T([1.])], [0])
case('scatterAdd range', 'scatterAdd', [torch.zeros(2, 3, 0), torch.full((2, 1, 0), 4, dtype=torch.int64), torch.zeros(2, 1, 0)], [1])
case('indexAdd range', 'indexAdd', [x3, L([-1]), T([1.])], [0])
case('indexAdd range', 'indexAdd', [x3, L([3]), T([1.])], [0])
case('indexAdd range', 'indexAdd', [torch.zeros(2, 3, 0), L([4]), torch.zeros(2, 1, 0)], [1])
case('indexAdd range', 'indexAdd', [x3, L([2, 0, 2]), T([1., 2., 3.])], [0])

# ---- 5: prod's gradient with zeros, over all elements and along dims, to the second order --------------------------
for v in [[0., 2., 3.], [1., 2., 3.], [0., 0., 3.], [0., 0., 0.], [2., 0., 0.5, 4.], [-1.5, 2., 0.25]]:
    case('prod zeros', 'prod', [T(v)], grad2=True)
    case('prod zeros', 'prod', [T(v)], [0, False], grad2=True)
m = T([[0., 2., 3.], [4., 0., 0.], [1., 2., 3.], [0., 5., 0.]])
for a in [[0, False], [1, False], [1, True], [-1, False]]:
    case('prod zeros', 'prod', [m], a, grad2=True)
case('prod zeros', 'prod', [m], grad2=True)
case('prod zeros', 'prod', [T([[0., 2.], [3., 4.]])], grad2=True)
case('prod zeros', 'prod', [T(0.)], grad2=True)
case('prod zeros', 'prod', [T([[0., 2., 3.]], torch.float64).t()], [0, False], grad2=True)

# ---- 7: movement ops of 0-d tensors keep requires_grad -----------------------------------------------------------------
s = T(1.5)
for op, a in [('transpose', [0, 0]), ('transpose', [-1, 0]), ('permute', [[]]), ('reshape', [[1]]), ('reshape', [[]]),
              ('reshape', [[1, 1]]), ('squeeze', []), ('squeeze', [0]), ('unsqueeze', [0]), ('unsqueeze', [-1]),
              ('expand', [[3]]), ('expand', [[2, 2]]), ('flatten', []), ('t', [])]:
    case('0-d movement', op, [s], a, grad2=True)

for op in ['sum', 'mean', 'prod', 'amax', 'amin', 'max', 'min', 'argmax', 'argmin']:
    for a in [[0, False], [-1, True], []]:
        case('0-d reductions', op, [T(2.5)], a, grad2=True)
case('0-d reductions', 'var', [T(2.5)], [0, True], grad=False)  # its gradient: PyTorch inf, torchlet NaN
case('0-d reductions', 'logsumexp', [T(2.5)], [0], grad2=True)
case('0-d reductions', 'softmax', [T(2.5)], [0], grad2=True)

# ---- 9: reductions with empty results or over empty dims, and the composites built on them ---------------------------
z03 = torch.zeros(0, 3)
z20 = torch.zeros(2, 0)
for x in [z03, z20]:
    for op in ['sum', 'mean', 'prod', 'amax', 'amin', 'max', 'min', 'argmax', 'argmin']:
        for a in [[0, False], [1, False], [1, True], []]:
            case(f'empty {op}', op, [x], a)
    for op in ['var', 'std']:
        for a in [[0, True], [1, True], [1, False], []]:
            case(f'empty {op}', op, [x], a)
    for op in ['logsumexp', 'softmax', 'logSoftmax']:
        for d in [0, 1]:
            case(f'empty {op}', op, [x], [d])
case('empty sum', 'sum', [torch.zeros(0, 3, dtype=torch.int64)], [0, False])
case('empty sum', 'sum', [torch.zeros(0, 3, dtype=torch.bool)], [1, False])
case('empty prod', 'prod', [torch.zeros(0, 3, dtype=torch.int64)], [0, False])
case('empty mean', 'mean', [torch.zeros(0, 3)], [[0, 1], False])
case('empty amax', 'amax', [torch.zeros(2, 0, 3)], [[0, 2], False])
case('empty amax', 'amax', [torch.zeros(2, 0, 3)], [[0, 1], False])
case('empty layerNorm', 'layerNorm', [z03], [[3]])
case('empty layerNorm', 'layerNorm', [torch.zeros(2, 0)], [[0]])
for red in ['mean', 'sum', 'none']:
    case('empty crossEntropy', 'crossEntropy', [z03, torch.zeros(0, dtype=torch.int64)], [red])
case('empty maxPool2d', 'maxPool2d', [torch.zeros(0, 1, 4, 4)], [2])
case('empty broadcast backward', 'add', [z03, T([1., 2., 3.])], grad2=True)
case('empty broadcast backward', 'add', [z03, torch.zeros(0, 1)])
case('empty broadcast backward', 'add', [torch.zeros(2, 0), torch.zeros(2, 1)])
case('empty broadcast backward', 'mul', [torch.zeros(0, 3), T([1., 2., 3.])], grad2=True)
case('empty broadcast backward', 'addmm', [T([1., 2.]), torch.zeros(0, 3), torch.ones(3, 2)])
case('empty broadcast backward', 'addmm', [T([1., 2.]), torch.zeros(4, 0), torch.ones(0, 2)])
case('empty broadcast backward', 'linear', [torch.zeros(0, 3), torch.ones(2, 3), T([1., 2.])])
case('empty broadcast backward', 'expand', [T([[1., 2., 3.]])], [[0, 3]])
case('empty broadcast backward', 'expand', [torch.zeros(1, 0)], [[4, 0]])

# ---- 10: copies into empty tensors and the strides of empty tensors ----------------------------------------------------
for shape in [[1, 3, 0], [2, 0, 3], [0], [0, 1], [3, 0, 0]]:
    case('empty strides', 'strides', [], [shape], grad=False)
case('empty copy', 'copy', [torch.zeros(1, 3, 0), torch.zeros(1, 3, 0)], grad=False)
case('empty copy', 'copy', [torch.zeros(1, 3, 0), torch.zeros(3, 0)], grad=False)
case('empty copy', 'pad', [torch.zeros(1, 3, 0)], [[1, 1]])
case('empty copy', 'pad', [torch.zeros(1, 0, 2)], [[1, 1]])
case('empty copy', 'index', [torch.zeros(3, 0), L([0, 2])], [0])
case('empty copy', 'unbind', [torch.zeros(3, 0)], [0])
case('empty copy', 'unbind', [torch.zeros(0, 2)], [1])
case('empty copy', 'select', [torch.zeros(1, 3, 0)], [1, 2])

# ---- movement ops on empty tensors ---------------------------------------------------------------------------------
z230 = torch.zeros(2, 3, 0)
for op, a in [('reshape', [[-1]]), ('reshape', [[0, -1]]), ('reshape', [[-1, 0]]), ('reshape', [[6, 0]]), ('reshape', [[0, 5]]),
              ('flatten', []), ('squeeze', []), ('squeeze', [2]), ('unsqueeze', [3]), ('transpose', [0, 2]),
              ('permute', [[2, 0, 1]]), ('expand', [[4, 2, 3, 0]]), ('select', [1, -1]),
              ('slice', [2, 0, 5, 1]), ('slice', [1, 1, None, 2])]:
    case('empty movement', op, [z230], a, grad2=True)
case('empty movement', 'select', [z230], [2, 0], key='index 0 out of range for tensor of size [2, 3, 0] at dimension 2')
case('empty movement', 't', [z230], key='expects a tensor with <= 2 dimensions, but self is 3D')
case('empty movement', 'select', [torch.zeros(0, 3)], [0, 0], key='index 0 out of range for tensor of size [0, 3] at dimension 0')
case('empty movement', 'indexInt', [torch.zeros(0, 3)], [0])
case('empty movement', 'indexInt', [torch.zeros(2, 3)], [-3])
case('empty movement', 'indexInt', [torch.zeros(2, 3)], [-2], grad2=True)
case('empty movement', 'expand', [torch.zeros(0, 1)], [[0, 4]])
case('empty movement', 'expand', [torch.zeros(0, 1)], [[2, 4]])

# ---- 11: backward of empty (stepped) slices ----------------------------------------------------------------------------
for a in [[0, 0, 0, 2], [0, 3, 1, 2], [0, 5, 9, 3], [0, 2, 2, 1], [0, -1, 0, 2], [0, 1, None, 2]]:
    case('empty slice', 'slice', [T([1., 2., 3., 4.])], a, grad2=True)
case('empty slice', 'slice', [x34], [1, 3, 3, 2], grad2=True)
case('empty slice', 'slice', [torch.zeros(0, 3)], [0, 0, 0, 2])

# ---- 12: empty results stay in autograd --------------------------------------------------------------------------------
case('empty autograd', 'gather', [x3, torch.zeros(0, dtype=torch.int64)], [0], grad2=True)
case('empty autograd', 'gather', [x34, torch.zeros(3, 0, dtype=torch.int64)], [1])
case('empty autograd', 'indexSelect', [x3, torch.zeros(0, dtype=torch.int64)], [0], grad2=True)
case('empty autograd', 'indexSelect', [x34, torch.zeros(0, dtype=torch.int64)], [1])
case('empty autograd', 'index', [x34, torch.zeros(0, dtype=torch.int64)], [0])
case('empty autograd', 'cat', [torch.zeros(0), T([1., 2.])], [0], grad2=True)
case('empty autograd', 'cat', [T([1., 2.]), torch.zeros(0), T([3.])], [0])
case('empty autograd', 'cat', [torch.zeros(0), torch.zeros(0)], [0])
case('empty autograd', 'cat', [x34, torch.zeros(0)], [0])
case('empty autograd', 'cat', [x34, torch.zeros(0, 4)], [0])
case('empty autograd', 'scatterAdd', [x3, torch.zeros(0, dtype=torch.int64), torch.zeros(0)], [0])

# ---- 13: split, chunk and unbind on empty and uneven sizes -------------------------------------------------------------
for n in [0, 1, 2, 5, 6, 7]:
    for c in [1, 2, 3, 4, 6]:
        case('chunk', 'chunk', [torch.arange(n * 2, dtype=torch.float32).reshape(n, 2)], [c, 0])
case('chunk', 'chunk', [torch.zeros(2, 0)], [3, 1])
case('chunk', 'chunk', [x3], [0, 0])
case('chunk', 'chunk', [T(1.)], [2, 0])
for n in [0, 5]:
    for sz in [1, 2, 7]:
        case('split', 'split', [torch.arange(n * 2, dtype=torch.float32).reshape(n, 2)], [sz, 0])
case('split', 'split', [torch.zeros(0)], [0, 0])
case('split', 'split', [x3], [0, 0])
case('split', 'split', [x3], [[0, 3, 0], 0])
case('split', 'split', [x3], [[1, 1], 0])
case('split', 'split', [T(1.)], [1, 0])
x7 = torch.arange(7, dtype=torch.float32)
for a in [3, 1, 7, 8, [2, 5], [-2], [5, 2], [0], [10], [], [-10, 3], 0, -1]:
    case('tensorSplit', 'tensorSplit', [x7], [a, 0])
case('tensorSplit', 'tensorSplit', [torch.zeros(0, 2)], [3, 0])
case('tensorSplit', 'tensorSplit', [torch.arange(10, dtype=torch.float32).reshape(2, 5)], [3, 1], grad2=True)
case('tensorSplit', 'tensorSplit', [torch.arange(10, dtype=torch.float32).reshape(2, 5)], [[1, 1, 4], -1])
case('tensorSplit', 'tensorSplit', [T(1.)], [2, 0])
case('unbind', 'unbind', [torch.zeros(0, 2)], [0])
case('unbind', 'unbind', [torch.zeros(0, 2)], [1])
case('unbind', 'unbind', [T(1.)], [0], key='Dimension specified as 0 but tensor has no dimensions')
case('unbind', 'unbind', [x34], [-1])

# ---- 17: max/min/amax/amin with ties and NaN: values, indices and gradients ---------------------------------------------
extremes = [T([[1., nan, 3.], [nan, nan, 1.]]), T([[3., 3., 1.], [2., 2., 2.]]), T([[1., 5., 5.], [nan, 0., nan]]),
            T([[-0.0, 0.0, -1.], [1., 2., 3.]])]
for x in extremes:
    for op in ['max', 'min', 'amax', 'amin']:
        for a in [[], [0, False], [1, False], [1, True]]:
            case(f'extreme {op}', op, [x], a, grad2=True)
    for op in ['argmax', 'argmin']:
        for a in [[], [1, False]]:
            case(f'extreme {op}', op, [x], a)
case('extreme amax', 'amax', [extremes[1]], [[0, 1], False], grad2=True)

# ---- the same edge cases on strided inputs (transposed, sliced, expanded) ---------------------------------------------
m43 = T([[0., 2., 3., 1.], [4., 0., 0., 2.], [1., 2., 3., 0.5]])
for a in [[0, False], [1, True], []]:
    case('strided', 'prod', [View(m43, ('t',))], a, grad2=True)
    case('strided', 'prod', [View(m43, ('slice', 1, 0, 4, 2))], a, grad2=True)
for a in [[0, False], [1, False], []]:
    for op in ['max', 'amax', 'min']:
        case('strided', op, [View(T([[1., nan, 3.], [3., 3., 1.]]), ('t',))], a, grad2=True)
case('strided', 'index', [View(x34, ('slice', 1, 1, 4, 2)), L([-1, 0])], [1], grad2=True)
case('strided', 'index', [View(x34, ('t',)), L([-1, -4])], [0])
case('strided', 'index', [x34, View(L([2, -1, 0, 1]), ('slice', 0, 0, 4, 2))], [0])
case('strided', 'indexSelect', [View(x34, ('t',)), View(L([2, -1, 0, 1]), ('slice', 0, 0, 4, 2))], [1])
case('strided', 'gather', [View(x34, ('t',)), View(L([[0, 2], [1, 1], [2, 0], [0, 0]]), ('t',))], [1])
case('strided', 'gather', [x34, View(L([[3], [0], [-1]]), ('expand', [3, 2]))], [1])
case('strided', 'sum', [View(torch.zeros(1, 3), ('expand', [0, 3]))], [0, False], grad2=True)
case('strided', 'sum', [View(torch.zeros(1, 3), ('expand', [0, 3]))], [1, False])
case('strided', 'amax', [View(torch.zeros(1, 3), ('expand', [0, 3]))], [1, False])
case('strided', 'slice', [View(x34, ('t',))], [0, 4, 4, 2], grad2=True)
case('strided', 'cat', [torch.zeros(0), View(x34, ('slice', 1, 0, 4, 3))], [1])
case('strided', 'chunk', [View(x34, ('slice', 0, 3, 3, 1))], [2, 0])

# ---- view ops with nothing to change return a new view (a new tensor object in autograd), not their input ------------
x23 = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1
x1 = T([[1.5, -2.]])
for op, x, a in [('squeeze', x23, []), ('squeeze', x23, [0]), ('squeeze', x1, [1]), ('squeeze', s, []), ('squeeze', s, [0]),
                 ('squeeze', s, [-1]), ('squeeze', x1, []), ('broadcastTo', x23, [[2, 3]]), ('broadcastTo', x23, [[1, 2, 3]]),
                 ('expand', x23, [[2, 3]]), ('expand', x23, [[-1, -1]]), ('t', x3, []), ('t', s, []), ('t', x23, []),
                 ('flatten', x3, []), ('flatten', s, []), ('flatten', x23, []), ('flattenDims', x23, [1, 1]),
                 ('flattenDims', x23, [0, -2]), ('flattenDims', x23, [0, 1]), ('split', x23, [2, 0]), ('split', x23, [[3], 1]),
                 ('split', x23, [3, 1]), ('chunk', x23, [1, 0]), ('chunk', x23, [1, 1]), ('chunk', x3, [5, 0]),
                 ('tensorSplit', x23, [1, 1]), ('indexSpecs', x23, [[':']]), ('indexSpecs', x23, [[':', ':']]),
                 ('indexSpecs', x23, [['...']]), ('indexSpecs', x23, [[]]), ('indexSpecs', s, [['...']]), ('slice', x23, [1, 0, 3, 1]),
                 ('slice', x23, [0, -5, 9, 1]), ('narrow', x23, [0, 0, 2]), ('narrow', x23, [-1, 0, 3]), ('reshape', x23, [[2, 3]]),
                 ('reshape', x3, [[-1]]), ('reshape', s, [[]]), ('view', x23, [[2, 3]]), ('view', s, [[]]), ('viewAs', x23, []),
                 ('reshapeAs', x23, []), ('expandAs', x23, []), ('transpose', x23, [0, 0]), ('transpose', x23, [1, -1]),
                 ('permute', x23, [[0, 1]]), ('T', x3, []), ('T', s, []), ('unbind', T([[1.5, 2.5]]), [0]),
                 ('index', x3, [0]), ('contiguous', x23, []), ('sumToSize', x23, [[2, 3]])]:
    # (index with L([0, 1, 2]) below: an index that selects everything still copies)
    case('new view', op, [x] if op != 'index' else [x, L([0, 1, 2])], a, alias=True)
case('new view', 'slice', [View(x23, ('t',))], [0, None, None, 1], alias=True)
case('new view', 'reshape', [View(x23, ('t',))], [[3, 2]], alias=True)
case('new view', 'squeeze', [s], [1], key='Dimension out of range (expected to be in range of [-1, 0], but got 1)')

# ---- index ops on 0-d tensors and index_add's shape rules --------------------------------------------------------------
for d in [0, -1, 1]:
    case('0-d index ops', 'gather', [T(2.5), L(0)], [d])
    case('0-d index ops', 'scatterAdd', [T(2.5), L(0), T(1.5)], [d])
    case('0-d index ops', 'indexSelect', [T(2.5), L([0])], [d])
    case('0-d index ops', 'indexSelect', [T(2.5), L(0)], [d])
    case('0-d index ops', 'indexAdd', [T(2.5), L([0]), T(1.5)], [d], grad2=True)
    case('0-d index ops', 'indexAdd', [T(2.5), L(0), T(1.5)], [d])
    case('0-d index ops', 'indexAdd', [T(2.5), L([], ), T(1.5)], [d])
for idx in [[0, 0], [0, 0, 0], []]:
    case('0-d index ops', 'indexAdd', [T(2.5), L(idx), T(1.5)], [0], key='Dimension specified as 0 but tensor has no dimensions')
    case('0-d index ops', 'indexAdd', [torch.zeros(3), L(idx), T(1.5)], [0], key='Dimension specified as 0 but tensor has no dimensions')
case('0-d index ops', 'indexAdd', [T(2.5), L([0]), T([1.5])], [0], grad2=True)
case('0-d index ops', 'indexAdd', [T(2.5), L([0, 0]), T([1.5, 2.])], [0], grad2=True)
case('0-d index ops', 'indexAdd', [T(2.5), L([]), torch.zeros(0)], [0])
case('0-d index ops', 'indexAdd', [T(2.5), L([1]), T(1.5)], [0])
case('0-d index ops', 'indexAdd', [T(2.5), L([-1]), T(1.5)], [0])
case('0-d index ops', 'indexAdd', [T(2.5), L([0]), T([[1.5]])], [0], key='source.dim() (2) must one or zero for given self.dim() (0)')
case('0-d index ops', 'indexAdd', [torch.zeros(3), L([0]), torch.ones(1, 1)], [0], key='source.dim() (2) must one or zero for given self.dim() (1)')
case('0-d index ops', 'indexAdd', [torch.zeros(3), L([1]), T(1.5)], [0], grad2=True)
case('0-d index ops', 'indexAdd', [torch.zeros(3), L(1), T([1.5])], [0])
case('0-d index ops', 'indexAdd', [torch.zeros(3, 1), L([0]), T(1.5)], [0], key='select() cannot be applied to a 0-dim tensor.')
case('0-d index ops', 'indexAdd', [torch.zeros(3, 2), L([0]), torch.ones(2, 2)], [0],
     key='Number of indices (1) should be equal to source.size(dim): (2), for dim: 0')
case('0-d index ops', 'indexAdd', [torch.zeros(2, 3), L([[0]]), torch.zeros(2, 1)], [1], key='Index is supposed to be a vector, but got dim: 2')
case('indexAdd range', 'indexAdd', [torch.zeros(3, 0), L([5]), torch.zeros(1, 0)], [0])
case('indexAdd range', 'indexAdd', [torch.zeros(3, 2), L([]), torch.zeros(0, 2)], [0])
case('indexAdd range', 'indexAdd', [torch.zeros(3, 0), L([5]), torch.zeros(3, 1)], [1],
     key='select(): index 0 out of range for tensor of size [3, 0] at dimension 1')
case('indexAdd range', 'indexAdd', [torch.zeros(0, 2), L([-1]), torch.zeros(0, 1)], [1])
case('indexAdd range', 'indexAdd', [torch.zeros(0), L([1]), torch.zeros(1)], [0])
case('indexAdd range', 'indexAdd', [torch.zeros(3, 2), L([5]), torch.zeros(1, 2)], [0])

# ---- scatter_add / index_add on bool tensors: PyTorch's bool add (any true) -------------------------------------------
B = lambda v: torch.tensor(v, dtype=torch.bool)
case('bool index ops', 'indexAdd', [B([[0, 0, 1], [0, 1, 0]]), L([0, 0]), B([[1, 0], [0, 0]])], [1])
case('bool index ops', 'indexAdd', [B([0, 1, 0]), L([2, 2, 0]), B([1, 1, 0])], [0])
case('bool index ops', 'scatterAdd', [B([[0, 0, 1], [0, 1, 0]]), L([[0, 0], [2, 1]]), B([[1, 0], [0, 1]])], [1])
case('bool index ops', 'scatterAdd', [B(False), L(0), B(True)], [0])
case('bool index ops', 'indexAdd', [B(False), L([0]), B(True)], [0])

# ---- integer products (PyTorch multiplies int64 exactly; torchlet's int32 refuses what does not fit) ----------------
I = lambda v: torch.tensor(v, dtype=torch.int64)
i22 = I([[1, -2], [3, 4]])
case('int products', 'mm', [i22, I([[5, 6, 7], [-8, 9, 10]])])
case('int products', 'mm', [I([[2 ** 30, 2 ** 30]]), I([[2], [-2]])])  # partial sums past int32, result 0
# x^2 - (x - 1)(x + 1) = 1 for x = 2**31 - 1: float64 rounds both products alike (to 0), the exact sum is 1
case('int products', 'mm', [I([[2 ** 31 - 1, 2 ** 31 - 2, 1]]), I([[2 ** 31 - 1], [-2 ** 31], [0]])])
case('int products', 'matmul', [I([2 ** 31 - 1, 2 ** 31 - 2]), I([[2 ** 31 - 1, 1], [-2 ** 31, -1]])])
big = I([[[2 ** 31 - 1, 2 ** 31 - 2, 1]], [[0, 0, 1]]])
case('int products', 'bmm', [big, I([[[2 ** 31 - 1], [-2 ** 31], [0]], [[4], [5], [6]]])])
case('int products', 'matmul', [big, I([[2 ** 31 - 1, 1], [-2 ** 31, -1], [0, 9]])])  # one matrix broadcast over the batch
case('int products', 'matmul', [View(big, ('transpose', 0, 1)), I([[[2 ** 31 - 1], [-2 ** 31], [0]]])])
case('int products', 'mm', [torch.zeros(2, 0, dtype=torch.int64), torch.zeros(0, 3, dtype=torch.int64)])
case('int products', 'bmm', [i22[None], i22[None]])
case('int products', 'bmm', [torch.zeros(0, 2, 2, dtype=torch.int64), torch.zeros(0, 2, 3, dtype=torch.int64)])
case('int products', 'matmul', [i22, I([1, 2])])
case('int products', 'matmul', [I([1, 2]), i22])
case('int products', 'matmul', [i22[None].expand(3, 2, 2), i22])
case('int products', 'matmul', [I([[[1, 2]], [[3, 4]]]), I([[[1], [2]]])])
case('int products', 'dot', [I([1, 2, 3]), I([4, -5, 6])])
case('int products', 'dot', [I([]), I([])])
case('int products', 'addmm', [I([1, 2]), i22, i22])
case('int products', 'addmm', [I([1, 2]), i22, i22], [0.5, 2.5])
case('int products', 'addmm', [I([1, 2]), i22, i22], [0, 1])
case('int products', 'addmm', [I([[1, 2, 3]]), i22, i22], [0, 1], key='!cannot be broadcast to the product')
case('int products', 'linear', [i22, i22, I([1, 2])])
case('int products', 'linearNoBias', [i22, i22])

# ---- empty operands of products, forward and backward; addmm's input broadcasts to the product's shape only ----------
for a, b in [((0, 3, 2), (0, 2, 2)), ((2, 0, 3), (2, 3, 2)), ((2, 3, 0), (2, 0, 2)), ((2, 3, 2), (2, 2, 0))]:
    case('empty products', 'bmm', [torch.ones(*a), torch.ones(*b)], grad2=True)
case('empty products', 'matmul', [torch.ones(0, 3, 2), torch.ones(2, 2)])
case('empty products', 'matmul', [torch.ones(2, 0, 3, 2), torch.ones(0, 2, 2)])
case('empty products', 'dot', [torch.zeros(0), torch.zeros(0)], grad2=True)
case('empty products', 'mm', [torch.ones(2, 0), torch.ones(0, 3)], grad2=True)
case('empty products', 'mm', [torch.ones(0, 2), torch.ones(2, 3)], grad2=True)
case('empty products', 'addmm', [torch.ones(3, 2), torch.ones(2, 2), torch.ones(2, 2)], key='!cannot be broadcast to the product')
case('empty products', 'addmm', [torch.ones(2, 1, 1), torch.ones(2, 2), torch.ones(2, 2)], [0, 1], key='!cannot be broadcast to the product')
case('empty products', 'addmm', [torch.ones(1), torch.ones(0, 2), torch.ones(2, 2)])

# ---- bool products: refused, unless there is nothing to multiply (all false) --------------------------------------------
for op, a, b in [('bmm', (1, 2, 0), (1, 0, 1)), ('bmm', (1, 0, 4), (1, 4, 1)), ('bmm', (0, 2, 2), (0, 2, 2)), ('mm', (0, 4), (4, 1)),
                 ('mm', (2, 0), (0, 1)), ('matmul', (0, 4), (4,)), ('matmul', (2, 0, 3), (3, 2)), ('matmul', (2, 2, 0), (2, 0, 2)),
                 ('matmul', (0,), (0, 3))]:
    case('bool products', op, [torch.ones(*a, dtype=torch.bool), torch.ones(*b, dtype=torch.bool)])
case('int products', 'addmm', [I([[1, 2]]), torch.zeros(1, 0, dtype=torch.int64), torch.zeros(0, 2, dtype=torch.int64)], [0.5, 1],
     key="result type Float can't be cast to the desired output type Long")
case('int products', 'addmm', [I([[1, 2]]), torch.zeros(1, 0, dtype=torch.int64), torch.zeros(0, 2, dtype=torch.int64)], [0, 1])
case('int products', 'addmm', [I([[1]]), torch.zeros(1, 0, dtype=torch.int64), torch.zeros(0, 0, dtype=torch.int64)], [0.5, 1])
case('int products', 'addmm', [torch.zeros(0, 2, dtype=torch.int64), torch.zeros(0, 0, dtype=torch.int64), torch.zeros(0, 2, dtype=torch.int64)], [0.5, 1])
case('int products', 'addmm', [I([[1, 2]]), torch.zeros(1, 0, dtype=torch.int64), torch.zeros(0, 2, dtype=torch.int64)], [3, 1])

# ---- max/min along a dim with a 0-d result, on views: the gradient lands on the selected entry ------------------------
for op in ['max', 'min']:
    case('0-d reductions', op, [T([4.])], [0, False], grad2=True)
    case('0-d reductions', op, [View(T([1., 5., 3.]), ('slice', 0, 1, 2, 1))], [0, False], grad2=True)
    case('0-d reductions', op, [View(T(2.), ('expand', [1]))], [0, False], grad2=True)
    case('0-d reductions', op, [View(T([[4.], [3.]]), ('slice', 0, 1, 2, 1), ('t',))], [1, False], grad2=True)

# ---- pooling and convolution of empty inputs: which empty dims PyTorch takes, and its messages -------------------------
for shape in [(0, 3, 2), (1, 0, 3), (1, 3, 0), (0, 0, 3), (2, 1, 0, 3), (0, 1, 2, 2), (1, 0, 2, 2), (0, 0, 2, 2)]:
    x = torch.zeros(*shape)
    case('empty pooling', 'avgPool2d', [x], [1])
    case('empty pooling', 'maxPool2d', [x], [1])
    for size in [1, [2, 1]]:
        case('empty pooling', 'adaptiveAvgPool2d', [x], [size], grad=False)
        case('empty pooling', 'adaptiveMaxPool2d', [x], [size], grad=False)
case('empty pooling', 'adaptiveAvgPool2d', [T([[[1., 2.], [3., 4.]]])], [1], grad2=True)
case('empty pooling', 'adaptiveAvgPool2d', [T([[[1., 2.], [3., 4.]]])], [[1, None]])
for shape in [(0, 1, 3), (1, 0, 3), (1, 1, 0), (0, 1, 0), (0, 0, 3)]:
    for pad in [0, 1]:
        case('empty convolution', 'conv1d', [torch.zeros(*shape), torch.ones(2, shape[1], 1)], [pad])
for shape in [(0, 1, 3, 3), (1, 0, 3, 3), (1, 1, 0, 3), (1, 1, 3, 0), (0, 1, 0, 3), (0, 0, 3, 3)]:
    for pad in [0, 1]:
        case('empty convolution', 'conv2d', [torch.zeros(*shape), torch.ones(2, shape[1], 1, 1)], [pad])

# Equal values have variance exactly 0 (PyTorch's Welford pass), so std's gradient is 0 there, not a ratio of
# rounding errors (found by the differential tester, seeds 13 and 14).
for dt in [torch.float32, torch.float64]:
    for op in ['var', 'std']:
        for a in [[1, True], [0, False], []]:
            case('equal values', op, [T([[0.78, 0.78, 0.78], [0.1, 0.1, 0.1]]).to(dt)], a)
            case('equal values', op, [View(T([[0.0, -0.86, -0.11, -1.08]]).to(dt).erf(), ('expand', [3, 4]))], a)
            case('equal values', op, [T([[inf, 0.2, 1.0], [-0.79, 1.17, 1.17], [nan, 1.0, 2.0], [-inf, inf, 3.0]]).to(dt)], a)

# prod's backward with a zero anywhere in the tensor: PyTorch takes exclusive products in every slice, so an infinity
# in a slice without zeros gives the product of the others, not prod / x = NaN (found by the tester, seeds 13 and 14).
# First order only: PyTorch's second order goes through cumprod's backward, which divides (NaN next to an infinity),
# where torchlet differentiates the products themselves (finite); finite inputs agree to second order ('prod zeros').
for dt in [torch.float32, torch.float64]:
    m = T([[inf, 2.0, 3.0], [0.0, 1.5, -2.0], [-inf, 0.0, 4.0]]).to(dt)
    for a in [[1, False], [0, True], []]:
        case('prod zeros and infinities', 'prod', [m], a)
    case('prod zeros and infinities', 'prod', [T([inf, 0.0, 2.0, -1.5]).to(dt)], [])
    case('prod zeros and infinities', 'prod', [T([[inf, 2.0], [nan, 1.0]]).to(dt)], [1, False])

# Reductions whose reduced dims all have size 1 (x.sum(0) of a [1, n] tensor: a bias gradient at batch size 1): each
# output is its one input element, except that sum turns -0 into 0 (0 + -0) where prod keeps it.
row = [-0.0, 0.0, nan, -inf, 2.5, -1.25]
for dt in [torch.float32, torch.float64]:
    for op in ['sum', 'prod', 'mean', 'amax', 'amin', 'max', 'min', 'argmax', 'argmin']:
        case('size-1 reductions', op, [T([row]).to(dt)], [0, False])
        case('size-1 reductions', op, [View(T([row]).to(dt), ('t',))], [1, True])
        case('size-1 reductions', op, [T([[row[:3]], [row[3:]]]).to(dt)], [1, False])
case('size-1 reductions', 'sum', [torch.tensor([[3, -7, 0]], dtype=torch.int64)], [0, False])
case('size-1 reductions', 'prod', [torch.tensor([[3, -7, 0]], dtype=torch.int64)], [0, True])

with open(OUT, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f, indent=None, separators=(',', ':'))
    f.write('\n')
print(f'{len(cases)} cases -> {OUT}')
