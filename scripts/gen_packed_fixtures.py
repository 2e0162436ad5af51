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
import warnings

import torch
import torch.nn.functional as F
from torch.nn.utils import rnn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import dump_tensor, enc  # noqa: E402  (the shared encoding)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'packed.json')
torch.set_num_threads(1)
warnings.filterwarnings('ignore', message='reduction: .mean. divides')
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
    def pack_pad(shape, lengths, pack_opts, pad_opts_=None, own=None, round_trip_only=False):
        pad_opts_ = pad_opts_ or {}

        def run(xs):
            p = rnn.pack_padded_sequence(xs[0], lengths, batch_first=pack_opts.get('batchFirst', False),
                                         enforce_sorted=pack_opts.get('enforceSorted', True))
            padded, lens = rnn.pad_packed_sequence(p, batch_first=pad_opts_.get('batchFirst', False),
                                                   padding_value=pad_opts_.get('paddingValue', 0.0),
                                                   total_length=pad_opts_.get('totalLength'))
            packed = dump_packed_tensors(p)
            if round_trip_only:
                packed = [t.detach() for t in packed]  # the gradients come from the padded result alone
            return packed + [padded, lens]
        extra = {'lengths': lengths}
        if round_trip_only:
            extra['roundTripOnly'] = True  # PyTorch's unstable sort orders tied rows its own way: compare the round trip
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
    pack_pad((6, 20, 2), [3, 6, 3, 6, 1, 6, 3, 3, 3, 1, 6, 6, 3, 3, 2, 2, 3, 3, 5, 3], {'enforceSorted': False},
             {'batchFirst': True}, round_trip_only=True)
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


# ---- losses -----------------------------------------------------------------------------------------------------
# Each case names the functional loss in torchlet's spelling; keyword names are camelCased and tensor keywords
# (weight, posWeight) stored as tensors.

FUNCTIONAL = {
    'cosineEmbeddingLoss': F.cosine_embedding_loss,
    'marginRankingLoss': F.margin_ranking_loss,
    'tripletMarginLoss': F.triplet_margin_loss,
    'poissonNllLoss': F.poisson_nll_loss,
    'gaussianNllLoss': F.gaussian_nll_loss,
    'hingeEmbeddingLoss': F.hinge_embedding_loss,
    'softMarginLoss': F.soft_margin_loss,
    'multilabelSoftMarginLoss': F.multilabel_soft_margin_loss,
    'multiMarginLoss': F.multi_margin_loss,
    'binaryCrossEntropy': F.binary_cross_entropy,
    'binaryCrossEntropyWithLogits': F.binary_cross_entropy_with_logits,
    'l1Loss': F.l1_loss,
    'mseLoss': F.mse_loss,
    'smoothL1Loss': F.smooth_l1_loss,
    'huberLoss': F.huber_loss,
    'klDiv': F.kl_div,
    'nllLoss': F.nll_loss,
    'crossEntropy': F.cross_entropy,
}


def camel(name):
    head, *rest = name.split('_')
    return head + ''.join(w.title() for w in rest)


def enc_kwargs(kw):
    return {camel(k): ({'tensor': dump_tensor(v)} if isinstance(v, torch.Tensor) else enc(v)) for k, v in kw.items()}


def sign(*shape):
    return torch.randint(0, 2, shape).double().mul(2).sub(1)


def probs(*shape):
    return torch.rand(shape, dtype=torch.float64).mul(0.9).add(0.05).round(decimals=4).float()


def loss_cases():
    cases = []

    def case(fn, inputs, grad=None, **kw):
        """grad: which inputs get gradients (default: every floating one)."""
        grad = grad if grad is not None else [x.is_floating_point() for x in inputs]
        xs = [x.detach().clone().requires_grad_(g) for x, g in zip(inputs, grad)]
        c = {'fn': fn, 'inputs': [dump_tensor(x) for x in xs], 'grad': grad, 'kwargs': enc_kwargs(kw)}
        try:
            out = FUNCTIONAL[fn](*xs, **kw)
        except Exception as e:  # noqa: BLE001
            c['error'] = {'type': type(e).__name__, 'message': str(e).split('\n')[0]}
            cases.append(c)
            return
        c['out'] = dump_tensor(out)
        c['upstream'], c['grads'] = backward_of([out], xs)
        c['upstream'] = c['upstream'][0]
        cases.append(c)

    def all_reductions(fn, make, **kw):
        for r in ('mean', 'sum', 'none'):
            case(fn, make(), reduction=r, **kw)

    f = lambda t: t.float()  # noqa: E731
    # cosine embedding: [N, D] with a [N] target, [D] with a 0-dim one, margins, empty batch, bad ranks.
    all_reductions('cosineEmbeddingLoss', lambda: [randn(4, 3), randn(4, 3), f(sign(4))], grad=[True, True, False])
    case('cosineEmbeddingLoss', [randn(5, 2), randn(5, 2), f(sign(5))], grad=[True, True, False], margin=0.3)
    case('cosineEmbeddingLoss', [randn(3), randn(3), torch.tensor(-1.)], grad=[True, True, False], margin=-0.5)
    case('cosineEmbeddingLoss', [randn(3, 4), randn(3, 4), torch.tensor([1, -1, 0])], grad=[True, True, False])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(1, 4), torch.tensor([1, -1, 1])], grad=[True, True, False])
    case('cosineEmbeddingLoss', [torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0)], grad=[True, True, False])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(3, 4), torch.ones(1, 3)])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(3, 4), torch.tensor(1.)])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(2, 4), torch.ones(3)])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(3, 4), torch.ones(2)])
    case('cosineEmbeddingLoss', [randn(3, 4), randn(3, 4), torch.ones(3)], reduction='avg')
    # margin ranking: broadcasting, margins, ranks.
    all_reductions('marginRankingLoss', lambda: [randn(6), randn(6), f(sign(6))], margin=0.2)
    case('marginRankingLoss', [randn(3, 4), randn(3, 4), f(sign(3, 1))], grad=[True, True, False])
    case('marginRankingLoss', [randn(3, 4), randn(4), f(sign(4))])
    case('marginRankingLoss', [randn(3, 4), randn(3, 4), f(sign(2, 1))])
    # triplet margin: p, eps, swap, margins, 1-D and 3-D inputs, empty batch, ranks.
    all_reductions('tripletMarginLoss', lambda: [randn(4, 5), randn(4, 5), randn(4, 5)])
    case('tripletMarginLoss', [randn(4, 5), randn(4, 5), randn(4, 5)], swap=True, margin=2.0)
    case('tripletMarginLoss', [randn(4, 5), randn(4, 5), randn(4, 5)], p=1, eps=0.0)
    case('tripletMarginLoss', [randn(4, 5), randn(4, 5), randn(4, 5)], p=3.0, margin=0.5)
    case('tripletMarginLoss', [randn(4, 5), randn(4, 5), randn(4, 5)], p=float('inf'), reduction='none')
    case('tripletMarginLoss', [randn(5), randn(5), randn(5)])
    case('tripletMarginLoss', [randn(2, 3, 4), randn(2, 3, 4), randn(1, 3, 4)], reduction='none')
    case('tripletMarginLoss', [torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, 4)])
    case('tripletMarginLoss', [randn(3, 4), randn(3, 4), randn(4)])
    # Poisson NLL: log and rate input, full (Stirling past 1), eps, broadcasting, every reduction.
    all_reductions('poissonNllLoss', lambda: [randn(3, 4), probs(3, 4).mul(5).round()])
    case('poissonNllLoss', [probs(3, 4), probs(3, 4).mul(5).round()], log_input=False)
    case('poissonNllLoss', [probs(6), torch.tensor([0., 1, 2, 3, 7, 0.5])], log_input=False, full=True, eps=1e-4, grad=[True, False])
    case('poissonNllLoss', [randn(6), torch.tensor([0., 1, 2, 3, 7, 0.5])], full=True, reduction='none', grad=[True, False])
    case('poissonNllLoss', [randn(3, 4), probs(4).mul(3)], reduction='sum')
    case('poissonNllLoss', [randn(3, 4), probs(2)])
    case('poissonNllLoss', [torch.zeros(0), torch.zeros(0)])
    # Gaussian NLL: heteroscedastic and homoscedastic var shapes, clamping at eps, full, errors.
    all_reductions('gaussianNllLoss', lambda: [randn(3, 4), randn(3, 4), probs(3, 4)])
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), probs(3)], full=True)
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), probs(3, 1)])
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), torch.tensor([[0.0, 1e-7, 0.5, 2.0]] * 3)], eps=1e-3)
    case('gaussianNllLoss', [randn(3, 4), randn(4), probs(3, 4)], reduction='none')
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), probs(4)])
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), -probs(3, 4)])
    case('gaussianNllLoss', [randn(3, 4), randn(3, 4), probs(3, 4)], reduction='avg')
    # Hinge embedding: targets 1 / -1 / other, margins, broadcasting.
    all_reductions('hingeEmbeddingLoss', lambda: [randn(3, 4), f(sign(3, 4))], margin=0.7)
    case('hingeEmbeddingLoss', [randn(5), torch.tensor([1., -1, 0, 2, -1])], grad=[True, False])
    case('hingeEmbeddingLoss', [randn(3, 4), f(sign(4))], grad=[True, False])
    case('hingeEmbeddingLoss', [randn(3, 4), f(sign(3))])
    # Soft margin: every reduction, a broadcast target, one that would grow the input.
    # (PyTorch's soft_margin_loss has no gradient for its target: asking for one is an error.)
    all_reductions('softMarginLoss', lambda: [randn(3, 4), f(sign(3, 4))], grad=[True, False])
    case('softMarginLoss', [randn(3, 4), f(sign(4))], grad=[True, False])
    case('softMarginLoss', [randn(4), f(sign(3, 4))], grad=[True, False])
    case('softMarginLoss', [torch.tensor([-200., 0, 200]), torch.tensor([1., 1, 1])], grad=[True, False])
    case('softMarginLoss', [randn(3), f(sign(3))])
    # Multi-label soft margin: weights, 1-D input, large logits.
    all_reductions('multilabelSoftMarginLoss', lambda: [randn(3, 4), torch.randint(0, 2, (3, 4)).float()])
    case('multilabelSoftMarginLoss', [randn(3, 4), torch.randint(0, 2, (3, 4)).float()], weight=probs(4))
    case('multilabelSoftMarginLoss', [randn(4), torch.randint(0, 2, (4,)).float()])
    case('multilabelSoftMarginLoss', [torch.tensor([[-100., 0, 100]]), torch.tensor([[1., 0, 0]])])
    case('multilabelSoftMarginLoss', [randn(3, 4), torch.ones(3, 4)], reduction='avg')
    # Multi-margin: p 1 and 2, margins, weights, 1-D input, errors.
    all_reductions('multiMarginLoss', lambda: [randn(3, 4), torch.tensor([0, 3, 1])])
    case('multiMarginLoss', [randn(3, 4), torch.tensor([2, 0, 1])], p=2, margin=0.5)
    case('multiMarginLoss', [randn(3, 4), torch.tensor([2, 0, 1])], weight=probs(4))
    case('multiMarginLoss', [randn(4), torch.tensor(1)], reduction='none')
    case('multiMarginLoss', [randn(4), torch.tensor([1])], reduction='none')
    case('multiMarginLoss', [randn(3, 4), torch.tensor([0, 4, 1])])
    case('multiMarginLoss', [randn(3, 4), torch.tensor([0, 3, 1])], p=3)
    case('multiMarginLoss', [randn(3, 4), torch.tensor([0, 3])])
    case('multiMarginLoss', [randn(3, 4), torch.tensor([0, 3, 1])], weight=torch.ones(4, 1))
    case('multiMarginLoss', [randn(2, 3, 4), torch.tensor([0, 3])])
    # The existing losses: BCE with elementwise weights broadcast, BCE with logits with weight and pos_weight.
    all_reductions('binaryCrossEntropy', lambda: [probs(2, 3), probs(2, 3)], weight=probs(3))
    case('binaryCrossEntropy', [probs(2, 3), probs(2, 3)], weight=probs(2, 1))
    case('binaryCrossEntropy', [probs(3), probs(3)], weight=probs(2, 3))
    case('binaryCrossEntropy', [probs(2, 3), probs(3)])
    all_reductions('binaryCrossEntropyWithLogits', lambda: [randn(2, 3), probs(2, 3)], weight=probs(3), pos_weight=probs(3).mul(3))
    case('binaryCrossEntropyWithLogits', [randn(2, 3), probs(2, 3)], pos_weight=probs(2, 1).mul(3))
    case('binaryCrossEntropyWithLogits', [randn(4, 2, 3), probs(4, 2, 3)], pos_weight=probs(3), weight=probs(2, 1))
    case('binaryCrossEntropyWithLogits', [randn(2, 3), probs(2, 3)], pos_weight=probs(4))
    case('binaryCrossEntropyWithLogits', [randn(2, 3), probs(3)])
    case('binaryCrossEntropyWithLogits', [randn(3), probs(3)], pos_weight=probs(2, 3))
    return cases


MODULES = {
    'L1Loss': (torch.nn.L1Loss, lambda: [randn(3, 4), randn(3, 4)]),
    'MSELoss': (torch.nn.MSELoss, lambda: [randn(3, 4), randn(3, 4)]),
    'SmoothL1Loss': (torch.nn.SmoothL1Loss, lambda: [randn(3, 4), randn(3, 4)]),
    'HuberLoss': (torch.nn.HuberLoss, lambda: [randn(3, 4), randn(3, 4)]),
    'KLDivLoss': (torch.nn.KLDivLoss, lambda: [randn(3, 4).log_softmax(1), randn(3, 4).softmax(1)]),
    'NLLLoss': (torch.nn.NLLLoss, lambda: [randn(3, 4).log_softmax(1), torch.tensor([0, 3, 1])]),
    'CrossEntropyLoss': (torch.nn.CrossEntropyLoss, lambda: [randn(3, 4), torch.tensor([0, 3, 1])]),
    'BCELoss': (torch.nn.BCELoss, lambda: [probs(3, 4), probs(3, 4)]),
    'BCEWithLogitsLoss': (torch.nn.BCEWithLogitsLoss, lambda: [randn(3, 4), probs(3, 4)]),
    'CosineEmbeddingLoss': (torch.nn.CosineEmbeddingLoss, lambda: [randn(3, 4), randn(3, 4), f_sign(3)]),
    'MarginRankingLoss': (torch.nn.MarginRankingLoss, lambda: [randn(5), randn(5), f_sign(5)]),
    'TripletMarginLoss': (torch.nn.TripletMarginLoss, lambda: [randn(3, 4), randn(3, 4), randn(3, 4)]),
    'PoissonNLLLoss': (torch.nn.PoissonNLLLoss, lambda: [probs(3, 4), probs(3, 4).mul(4).round()]),
    'GaussianNLLLoss': (torch.nn.GaussianNLLLoss, lambda: [randn(3, 4), randn(3, 4), probs(3, 4)]),
    'HingeEmbeddingLoss': (torch.nn.HingeEmbeddingLoss, lambda: [randn(3, 4), f_sign(3, 4)]),
    'SoftMarginLoss': (torch.nn.SoftMarginLoss, lambda: [randn(3, 4), f_sign(3, 4)]),
    'MultiLabelSoftMarginLoss': (torch.nn.MultiLabelSoftMarginLoss, lambda: [randn(3, 4), torch.randint(0, 2, (3, 4)).float()]),
    'MultiMarginLoss': (torch.nn.MultiMarginLoss, lambda: [randn(3, 4), torch.tensor([0, 3, 1])]),
}


def f_sign(*shape):
    return sign(*shape).float()


def module_cases():
    cases = []
    options = {
        'SmoothL1Loss': [{'beta': 0.5, 'reduction': 'sum'}],
        'HuberLoss': [{'delta': 0.5, 'reduction': 'none'}],
        'KLDivLoss': [{'reduction': 'batchmean'}, {'log_target': True}],
        'NLLLoss': [{'weight': probs(4), 'ignore_index': 1}],
        'CrossEntropyLoss': [{'weight': probs(4), 'label_smoothing': 0.2, 'reduction': 'sum'}, {'ignore_index': 3}],
        'BCELoss': [{'weight': probs(4)}],
        'BCEWithLogitsLoss': [{'weight': probs(4), 'pos_weight': probs(4).mul(2)}, {'pos_weight': probs(4)}],
        'CosineEmbeddingLoss': [{'margin': 0.2}],
        'MarginRankingLoss': [{'margin': 0.5, 'reduction': 'none'}],
        'TripletMarginLoss': [{'margin': 0.5, 'p': 1.0, 'swap': True}],
        'PoissonNLLLoss': [{'log_input': False, 'full': True}],
        'GaussianNLLLoss': [{'full': True, 'eps': 0.01}],
        'HingeEmbeddingLoss': [{'margin': 0.3}],
        'MultiLabelSoftMarginLoss': [{'weight': probs(4)}],
        'MultiMarginLoss': [{'p': 2, 'margin': 0.5, 'weight': probs(4)}],
    }
    for name, (cls, make) in MODULES.items():
        for kw in [{}] + options.get(name, []):
            m = cls(**kw)
            xs = [x.detach().clone().requires_grad_(x.is_floating_point() and not (name == 'SoftMarginLoss' and i == 1))
                  for i, x in enumerate(make())]
            out = m(*xs)
            ups, grads = backward_of([out], xs)
            cases.append({'module': name, 'kwargs': enc_kwargs(kw), 'inputs': [dump_tensor(x) for x in xs], 'out': dump_tensor(out),
                          'upstream': ups[0], 'grads': grads, 'stateKeys': list(m.state_dict().keys()), 'repr': repr(m)})
    return cases


def main():
    out = {'torch': torch.__version__, 'rnn': rnn_cases(), 'function': function_cases(), 'losses': loss_cases(), 'modules': module_cases()}
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'), allow_nan=False)
    print(f'wrote {OUT}: {os.path.getsize(OUT)} bytes')


if __name__ == '__main__':
    main()
