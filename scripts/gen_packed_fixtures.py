#!/usr/bin/env python3
"""Writes test/fixtures/packed.json from PyTorch 1.13.1: nn.utils.rnn packing and padding, custom
torch.autograd.Function ops, and the loss functions and modules (issue 13).

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_packed_fixtures.py

Every case holds its inputs, options, PyTorch's outputs and the gradients of its floating inputs for a fixed
upstream gradient (the loss is sum(out * upstream)), or PyTorch's error class and message.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch.nn.utils import rnn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import dump_tensor, enc  # noqa: E402  (the shared encoding)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'packed.json')
torch.set_num_threads(1)
torch.manual_seed(13)


def randn(*shape, dtype=torch.float32):
    return torch.randn(shape, dtype=torch.float64).round(decimals=4).to(dtype)


def leaf(t):
    return t.detach().clone().requires_grad_(t.is_floating_point())


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the fixture stores whatever PyTorch raises)
        return {'type': type(e).__name__, 'message': str(e).split('\n')[0]}
    raise AssertionError('expected an error')


def backward_of(outs, inputs):
    """Upstream gradients for the floating outputs and the gradients they give the inputs (None where none)."""
    ups = [randn(*o.shape, dtype=o.dtype) if o.is_floating_point() and o.requires_grad else None for o in outs]
    pairs = [(o, u) for o, u in zip(outs, ups) if u is not None]
    grads = [None] * len(inputs)
    if pairs:
        total = sum((o * u).sum() for o, u in pairs)
        gs = torch.autograd.grad(total, [x for x in inputs if x.requires_grad], allow_unused=True)
        it = iter(gs)
        grads = [next(it) if x.requires_grad else None for x in inputs]
    return ([dump_tensor(u) if u is not None else None for u in ups],
            [dump_tensor(g) if g is not None else None for g in grads])


def dump_packed(p):
    return [dump_tensor(p.data), dump_tensor(p.batch_sizes),
            dump_tensor(p.sorted_indices) if p.sorted_indices is not None else None,
            dump_tensor(p.unsorted_indices) if p.unsorted_indices is not None else None]


# ---- nn.utils.rnn -----------------------------------------------------------------------------------------------

def rnn_cases():
    cases = []

    def case(kind, inputs, opts, run, extra=None):
        xs = [leaf(x) for x in inputs]
        c = {'kind': kind, 'inputs': [dump_tensor(x) for x in xs], 'options': opts}
        if extra:
            c.update(extra)
        try:
            outs = run(xs)
        except Exception as e:  # noqa: BLE001
            c['error'] = {'type': type(e).__name__, 'message': str(e).split('\n')[0]}
            cases.append(c)
            return
        c['outs'] = [dump_tensor(o) for o in outs]
        c['upstream'], c['grads'] = backward_of(outs, xs)
        cases.append(c)

    def pad_opts(o):
        return {'batch_first': o.get('batchFirst', False), 'padding_value': o.get('paddingValue', 0.0)}

    # padSequence: lengths, trailing dims, dtypes, broadcasting trailing dims.
    for shapes, opts in [
        ([(3,), (1,), (2,)], {}),
        ([(3, 2), (5, 2), (1, 2)], {'batchFirst': True}),
        ([(2, 2, 3), (4, 2, 3)], {'paddingValue': -1.5}),
        ([(4,), (4,)], {'batchFirst': True, 'paddingValue': 7}),
        ([(0, 2), (2, 2)], {}),
        ([(2, 3), (3, 1)], {}),
        ([(2, 3), (3, 4)], {}),
        ([(2, 3, 1), (3, 3)], {}),
    ]:
        case('padSequence', [randn(*s) for s in shapes], opts, lambda xs, o=opts: [rnn.pad_sequence(xs, **pad_opts(o))])
    case('padSequence', [randn(2), randn(3, dtype=torch.float64)], {}, lambda xs: [rnn.pad_sequence(xs)])
    case('padSequence', [torch.tensor([1, 2], dtype=torch.int64), torch.tensor([3])], {'paddingValue': 1.5},
         lambda xs: [rnn.pad_sequence(xs, padding_value=1.5)])
    case('padSequence', [], {}, lambda xs: [rnn.pad_sequence(xs)])
    case('padSequence', [torch.tensor(1.0), randn(3)], {}, lambda xs: [rnn.pad_sequence(xs)])

    # packPaddedSequence then padPackedSequence: the round trip, both layouts, sorted or not, totalLength.
    def pack_pad(shape, lengths, pack_opts, pad_opts_=None, own=None):
        pad_opts_ = pad_opts_ or {}

        def run(xs):
            p = rnn.pack_padded_sequence(xs[0], lengths, batch_first=pack_opts.get('batchFirst', False),
                                         enforce_sorted=pack_opts.get('enforceSorted', True))
            padded, lens = rnn.pad_packed_sequence(p, batch_first=pad_opts_.get('batchFirst', False),
                                                   padding_value=pad_opts_.get('paddingValue', 0.0),
                                                   total_length=pad_opts_.get('totalLength'))
            return [x for x in dump_packed_tensors(p)] + [padded, lens]
        extra = {'lengths': lengths}
        if own:
            extra['own'] = own  # torchlet's own wording: PyTorch fails later, or not at all
        case('packPad', [randn(*shape)], {'pack': pack_opts, 'pad': pad_opts_}, run, extra)

    def dump_packed_tensors(p):
        empty = torch.zeros(0, dtype=torch.int64)
        return [p.data, p.batch_sizes, p.sorted_indices if p.sorted_indices is not None else empty,
                p.unsorted_indices if p.unsorted_indices is not None else empty]

    pack_pad((4, 3, 2), [4, 2, 1], {})
    pack_pad((4, 3, 2), [4, 2, 1], {}, {'batchFirst': True, 'totalLength': 6, 'paddingValue': -2.0})
    pack_pad((3, 5), [5, 5, 2], {'batchFirst': True})
    pack_pad((3, 5, 2), [2, 5, 1], {'batchFirst': True, 'enforceSorted': False}, {'batchFirst': True})
    pack_pad((5, 4), [2, 3, 2, 5], {'enforceSorted': False}, {'paddingValue': 9.0})
    pack_pad((5, 4, 1, 2), [3, 3, 1, 3], {'enforceSorted': False}, {'totalLength': 5})
    pack_pad((3, 1), [3], {})
    # A length above T reads past the input in PyTorch (garbage rows, then a later error): torchlet raises.
    pack_pad((3, 2), [4, 1], {}, own='a sequence of length 4 does not fit the padded input of shape [3, 2] (3 time steps)')
    for shape, lengths, opts in [
        ((4, 3, 2), [4, 5, 1], {}),
        ((4, 3, 2), [4, 3], {}),
        ((4, 3, 2), [4, 3, 0], {}),
        ((4, 3, 2), [0, 3, 2], {}),
        ((4, 3, 2), [2, 3, 2], {}),
        ((4, 3, 2), [2, 3, -1], {'enforceSorted': False}),
        ((0, 3), [2, 3, 1], {}),
        ((4,), [4], {}),
    ]:
        pack_pad(shape, lengths, opts)
    pack_pad((4, 3, 2), [4, 2, 1], {}, {'totalLength': 3})

    # packSequence and unpackSequence.
    for shapes, opts in [([(3, 2), (2, 2), (1, 2)], {}), ([(1,), (3,), (2,)], {'enforceSorted': False}), ([(1,), (3,)], {})]:
        def run(xs, o=opts):
            p = rnn.pack_sequence(xs, enforce_sorted=o.get('enforceSorted', True))
            return dump_packed_tensors(p) + list(rnn.unpack_sequence(p))
        case('packSequence', [randn(*s) for s in shapes], opts, run)

    # unpadSequence.
    for shape, lengths, opts in [((4, 3, 2), [4, 1, 2], {}), ((3, 4), [1, 4, 3], {'batchFirst': True}), ((3, 2), [3, 5], {})]:
        case('unpadSequence', [randn(*shape)], opts,
             lambda xs, l=lengths, o=opts: rnn.unpad_sequence(xs[0].clone(), torch.tensor(l), batch_first=o.get('batchFirst', False)),
             {'lengths': lengths})
    return cases


# ---- torch.autograd.Function ------------------------------------------------------------------------------------
# test/autograd/function.test.ts defines the same ops in torchlet, by the same names.

class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class MyLinear(torch.autograd.Function):
    """The linear op of PyTorch's "Extending torch.autograd" notes, with needs_input_grad."""
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight, bias)
        out = x.mm(weight.t())
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, g):
        x, weight, bias = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = g.mm(weight)
        if ctx.needs_input_grad[1]:
            gw = g.t().mm(x)
        if bias is not None and ctx.needs_input_grad[2]:
            gb = g.sum(0)
        return gx, gw, gb


class ClampST(torch.autograd.Function):
    """Clamp with a straight-through gradient; lo and hi are plain numbers."""
    @staticmethod
    def forward(ctx, x, lo, hi):
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, g):
        return g, None, None


class ScaleBy(torch.autograd.Function):
    """A ctx attribute; backward returns a gradient that sums to the input's shape (PyTorch's sum_to)."""
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.k).expand(2, *g.shape) / 2, None


class SinCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, gs, gc):
        x, = ctx.saved_tensors
        return gs * x.cos() - gc * x.sin()


class MaxArg(torch.autograd.Function):
    """A non-differentiable integer output beside a differentiable one; backward receives zeros for it."""
    @staticmethod
    def forward(ctx, x):
        i = x.argmax()
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(x, i)
        return x.max(), i

    @staticmethod
    def backward(ctx, gv, gi):
        x, i = ctx.saved_tensors
        assert gi.dtype == torch.int64 and float(gi) == 0
        return torch.zeros_like(x).index_fill(0, i.reshape(1), 1) * gv


class Mul2_(torch.autograd.Function):
    """In place: the input is marked dirty and returned."""
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


class Cube(torch.autograd.Function):
    """backward made of differentiable ops of a saved input: create_graph gives the second derivative."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2


def function_cases():
    cases = []

    def case(name, fn, inputs, args=(), second=False):
        xs = [leaf(x) for x in inputs]
        outs = fn(*xs, *args)
        outs = list(outs) if isinstance(outs, tuple) else [outs]
        c = {'name': name, 'inputs': [dump_tensor(x) for x in xs], 'args': list(args),
             'outs': [dump_tensor(o) for o in outs], 'names': [o.grad_fn.name() if o.grad_fn else None for o in outs]}
        ups = [randn(*o.shape, dtype=o.dtype) if o.requires_grad else None for o in outs]
        c['upstream'] = [dump_tensor(u) if u is not None else None for u in ups]
        total = sum((o * u).sum() for o, u in zip(outs, ups) if u is not None)
        want = [x for x in xs if x.requires_grad]
        gs = torch.autograd.grad(total, want, create_graph=second, allow_unused=True)
        c['grads'] = [dump_tensor(g) if g is not None else None for g in gs]
        if second:
            gg = torch.autograd.grad(sum(g.sum() for g in gs), want)
            c['grads2'] = [dump_tensor(g) for g in gg]
        cases.append(c)

    case('MyExp', MyExp.apply, [randn(2, 3)], second=True)
    case('MyExp', MyExp.apply, [randn(4, dtype=torch.float64)])
    case('MyLinear', MyLinear.apply, [randn(4, 3), randn(2, 3), randn(2)])
    case('MyLinear', MyLinear.apply, [randn(4, 3), randn(2, 3)])
    case('ClampST', ClampST.apply, [randn(5) * 2], (-1.0, 0.5))
    case('ScaleBy', ScaleBy.apply, [randn(3, 2)], (1.5,))
    case('SinCos', SinCos.apply, [randn(4)], second=True)
    case('MaxArg', MaxArg.apply, [randn(5)])
    case('Mul2_', lambda x: Mul2_.apply(x * 1), [randn(3)])
    case('Cube', Cube.apply, [randn(3)], second=True)

    # Only the cosine used: backward receives zeros for the sine (materialized), as PyTorch gives.
    x = leaf(randn(4))
    s, co = SinCos.apply(x)
    up = randn(4)
    g, = torch.autograd.grad((co * up).sum(), [x])
    cases.append({'name': 'SinCosSecondOnly', 'inputs': [dump_tensor(x)], 'args': [], 'upstream': [None, dump_tensor(up)],
                  'grads': [dump_tensor(g)]})

    errors = {}
    x = leaf(randn(3))

    class Two(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g
    errors['count'] = error_of(lambda: Two.apply(x, 2).sum().backward())

    class Extra(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g
    errors['extra'] = error_of(lambda: Extra.apply(x).sum().backward())

    class Shape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]
    errors['shape'] = error_of(lambda: Shape.apply(x).sum().backward())

    class NonTensor(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g
    errors['nonTensor'] = error_of(lambda: NonTensor.apply(x, 2).sum().backward())

    y = MyExp.apply(x)
    y.sum().backward()
    errors['freed'] = error_of(lambda: y.grad_fn.saved_tensors)

    class NoForward(torch.autograd.Function):
        pass
    errors['noForward'] = error_of(lambda: NoForward.apply(x))

    class NoBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2
    errors['noBackward'] = error_of(lambda: NoBackward.apply(x).sum().backward())
    errors['dirtyLeaf'] = error_of(lambda: Mul2_.apply(x))

    class DirtyNotReturned(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g
    errors['dirtyNotReturned'] = error_of(lambda: DirtyNotReturned.apply(x * 1))

    class SaveNumber(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    errors['saveNumber'] = error_of(lambda: SaveNumber.apply(x))

    class BadType(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 3
    errors['badType'] = error_of(lambda: BadType.apply(x).sum().backward())
    return {'cases': cases, 'errors': errors}


def main():
    out = {'torch': torch.__version__, 'rnn': rnn_cases(), 'function': function_cases()}
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {OUT}: {os.path.getsize(OUT)} bytes')


if __name__ == '__main__':
    main()
