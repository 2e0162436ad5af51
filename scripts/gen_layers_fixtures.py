#!/usr/bin/env python3
"""Writes test/fixtures/layers.json: the remaining common layers of issue 13, from PyTorch 1.13.1.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_layers_fixtures.py

Two lists. `cases`: a functional op of the OPS table (test/nn/layers2.test.ts spells the same op in torchlet), its
inputs (base tensors seen through view steps), positional arguments and keyword arguments (a keyword given as
{"t": k} is the k-th input tensor), and either PyTorch's error (class, message, and `key`: the part torchlet's message
must contain, '!' marking torchlet's own wording) or the outputs and the gradients of the floating inputs for fixed
upstream gradients. `modules`: a module built by a named factory under a seed, its repr, initial state dict, output,
the gradients of its floating inputs and of its parameters, and its state dict after the forward pass (running
statistics), or PyTorch's error.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import apply_steps, dump_tensor, enc  # noqa: E402  (the shared encoding and view steps)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'layers.json')
torch.set_num_threads(1)
nan, inf = float('nan'), float('inf')


def eb(t, a, k):
    """F.embedding_bag with tensor keywords resolved."""
    return F.embedding_bag(t[0], t[1], *a, **k)


OPS = {
    'hardtanh': lambda t, a, k: F.hardtanh(t[0], *a),
    'relu6': lambda t, a, k: F.relu6(t[0]),
    'hardsigmoid': lambda t, a, k: F.hardsigmoid(t[0]),
    'hardswish': lambda t, a, k: F.hardswish(t[0]),
    'mish': lambda t, a, k: F.mish(t[0]),
    'selu': lambda t, a, k: F.selu(t[0]),
    'celu': lambda t, a, k: F.celu(t[0], *a),
    'glu': lambda t, a, k: F.glu(t[0], *a),
    'logsigmoid': lambda t, a, k: F.logsigmoid(t[0]),
    'softsign': lambda t, a, k: F.softsign(t[0]),
    'tanhshrink': lambda t, a, k: F.tanhshrink(t[0]),
    'softshrink': lambda t, a, k: F.softshrink(t[0], *a),
    'hardshrink': lambda t, a, k: F.hardshrink(t[0], *a),
    'threshold': lambda t, a, k: F.threshold(t[0], *a),
    'softmin': lambda t, a, k: F.softmin(t[0], *a),
    'prelu': lambda t, a, k: F.prelu(t[0], t[1]),
    'cosineSimilarity': lambda t, a, k: F.cosine_similarity(t[0], t[1], **k),
    'pairwiseDistance': lambda t, a, k: F.pairwise_distance(t[0], t[1], **k),
    'pixelShuffle': lambda t, a, k: F.pixel_shuffle(t[0], *a),
    'pixelUnshuffle': lambda t, a, k: F.pixel_unshuffle(t[0], *a),
    'interpolate': lambda t, a, k: F.interpolate(t[0], **k),
    'embeddingBag': eb,
    'instanceNorm': lambda t, a, k: F.instance_norm(t[0], **k),
    'adaptiveAvgPool1d': lambda t, a, k: F.adaptive_avg_pool1d(t[0], *a),
    'adaptiveMaxPool1d': lambda t, a, k: F.adaptive_max_pool1d(t[0], *a, **k),
    'pad': lambda t, a, k: F.pad(t[0], *a),
}

ERRORS = {'IndexError': 'RangeError', 'RuntimeError': 'RangeError', 'ValueError': 'RangeError', 'TypeError': 'TypeError',
          'NotImplementedError': 'RangeError', 'AssertionError': 'RangeError'}
cases = []
modules = []


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


def error_of(e, key, etype):
    msg = str(e).split('\n')[0]
    if key is not None:
        assert key in msg or key.startswith('!'), (key, msg)
    return {'type': etype or ERRORS[type(e).__name__], 'message': msg, 'key': (key or msg).lstrip('!')}


def upstream(o):
    return (torch.arange(o.numel(), dtype=o.dtype) * 0.5 + 1.0).reshape(o.shape)


def case(group, op, inputs, args=(), kwargs=None, key=None, etype=None, rtol=1e-5, atol=1e-6, grad=True):
    kwargs = kwargs or {}
    views = [x if isinstance(x, V) else V(x) for x in inputs]
    leaves = [v.base.clone().requires_grad_(grad and v.base.is_floating_point()) for v in views]
    c = {'group': group, 'op': op, 'inputs': [dump(x, v.steps) for x, v in zip(leaves, views)],
         'args': enc(list(args)), 'kwargs': {k: enc(v) for k, v in kwargs.items()}, 'rtol': rtol, 'atol': atol}
    seen = [apply_steps(x, v.steps) for x, v in zip(leaves, views)]
    kw = {k: (seen[v['t']] if isinstance(v, dict) else v) for k, v in kwargs.items()}
    try:
        r = OPS[op](seen, list(args), kw)
    except Exception as e:  # PyTorch's error is the expected result
        c['error'] = error_of(e, key, etype)
        cases.append(c)
        return
    if key is not None and key.startswith('!'):
        # torchlet refuses what PyTorch lets through: torchlet's words.
        c['error'] = {'type': etype, 'message': '', 'key': key[1:]}
        cases.append(c)
        return
    assert key is None, (group, op, 'expected an error')
    outs = [r] if isinstance(r, torch.Tensor) else list(r)
    c['outs'] = [dump(o) for o in outs]
    diff = [o for o in outs if o.requires_grad]
    xs = [x for x in leaves if x.requires_grad]
    if diff and xs:
        ups = [upstream(o) for o in diff]
        gs = torch.autograd.grad(diff, xs, ups, allow_unused=True)
        c['upstream'] = [dump(u) for u in ups]
        c['grads'] = [None if g is None else dump(g) for g in gs]
    cases.append(c)


# ---- modules: a factory per key (test/nn/layers2.test.ts has the same keys) -------------------------------------
FACTORIES = {
    'Hardtanh()': lambda: nn.Hardtanh(),
    'Hardtanh(-2, 0.5, inplace)': lambda: nn.Hardtanh(-2., 0.5, True),
    'Hardtanh(1, 1)': lambda: nn.Hardtanh(1., 1.),
    'ReLU6()': lambda: nn.ReLU6(),
    'ReLU6(inplace)': lambda: nn.ReLU6(True),
    'Hardsigmoid()': lambda: nn.Hardsigmoid(),
    'Hardswish(inplace)': lambda: nn.Hardswish(True),
    'Mish()': lambda: nn.Mish(),
    'SELU()': lambda: nn.SELU(),
    'CELU(2)': lambda: nn.CELU(2.),
    'GLU()': lambda: nn.GLU(),
    'GLU(1)': lambda: nn.GLU(1),
    'LogSigmoid()': lambda: nn.LogSigmoid(),
    'Softsign()': lambda: nn.Softsign(),
    'Tanhshrink()': lambda: nn.Tanhshrink(),
    'Softshrink()': lambda: nn.Softshrink(),
    'Hardshrink(1.5)': lambda: nn.Hardshrink(1.5),
    'Threshold(0.1, 20)': lambda: nn.Threshold(0.1, 20.),
    'Softmin(1)': lambda: nn.Softmin(1),
    'PReLU()': lambda: nn.PReLU(),
    'PReLU(3, 0.1)': lambda: nn.PReLU(3, 0.1),
    'ReLU(inplace)': lambda: nn.ReLU(True),
    'LeakyReLU(0.2, inplace)': lambda: nn.LeakyReLU(0.2, True),
    'ELU(1, inplace)': lambda: nn.ELU(1., True),
    'SiLU(inplace)': lambda: nn.SiLU(True),
    'CosineSimilarity()': lambda: nn.CosineSimilarity(),
    'CosineSimilarity(0, 0.5)': lambda: nn.CosineSimilarity(0, 0.5),
    'PairwiseDistance()': lambda: nn.PairwiseDistance(),
    'PairwiseDistance(1, 0, keepdim)': lambda: nn.PairwiseDistance(1., 0., True),
    'PixelShuffle(2)': lambda: nn.PixelShuffle(2),
    'PixelUnshuffle(2)': lambda: nn.PixelUnshuffle(2),
    'ConstantPad1d(2, 3.5)': lambda: nn.ConstantPad1d(2, 3.5),
    'ConstantPad2d([1, 0, 2, 1], -1)': lambda: nn.ConstantPad2d((1, 0, 2, 1), -1.),
    'ConstantPad3d(1, 0)': lambda: nn.ConstantPad3d(1, 0.),
    'ZeroPad2d(1)': lambda: nn.ZeroPad2d(1),
    'ReflectionPad1d([2, 1])': lambda: nn.ReflectionPad1d((2, 1)),
    'ReflectionPad2d(1)': lambda: nn.ReflectionPad2d(1),
    'ReflectionPad1d(3)': lambda: nn.ReflectionPad1d(3),
    'ReplicationPad1d([1, 3])': lambda: nn.ReplicationPad1d((1, 3)),
    'ReplicationPad2d([2, 0, 1, 3])': lambda: nn.ReplicationPad2d((2, 0, 1, 3)),
    'Upsample(scale 2)': lambda: nn.Upsample(scale_factor=2),
    'Upsample(size [3, 5], bilinear)': lambda: nn.Upsample(size=(3, 5), mode='bilinear'),
    'Upsample(scale 1.5, linear, alignCorners)': lambda: nn.Upsample(scale_factor=1.5, mode='linear', align_corners=True),
    'UpsamplingNearest2d(size 5)': lambda: nn.UpsamplingNearest2d(size=5),
    'UpsamplingBilinear2d(scale 2)': lambda: nn.UpsamplingBilinear2d(scale_factor=2),
    'InstanceNorm1d(3)': lambda: nn.InstanceNorm1d(3),
    'InstanceNorm1d(3, affine, track)': lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
    'InstanceNorm2d(2, eps 0.1, momentum 0.3, track)': lambda: nn.InstanceNorm2d(2, eps=0.1, momentum=0.3, track_running_stats=True),
    'InstanceNorm2d(2, affine)': lambda: nn.InstanceNorm2d(2, affine=True),
    'LayerNorm(4, no affine)': lambda: nn.LayerNorm(4, elementwise_affine=False),
    'EmbeddingBag(6, 3)': lambda: nn.EmbeddingBag(6, 3),
    'EmbeddingBag(6, 3, sum, padding 2)': lambda: nn.EmbeddingBag(6, 3, mode='sum', padding_idx=2),
    'EmbeddingBag(6, 3, max, lastOffset)': lambda: nn.EmbeddingBag(6, 3, mode='max', include_last_offset=True),
    'EmbeddingBag(6, 3, mean, padding -1)': lambda: nn.EmbeddingBag(6, 3, padding_idx=-1),
    'MaxPool1d(3)': lambda: nn.MaxPool1d(3),
    'MaxPool1d(2, stride 1, padding 1, ceil)': lambda: nn.MaxPool1d(2, stride=1, padding=1, ceil_mode=True),
    'AvgPool1d(3, 2, 1)': lambda: nn.AvgPool1d(3, 2, 1),
    'AvgPool1d(2, ceil, no pad count)': lambda: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    'AdaptiveMaxPool2d([2, 3])': lambda: nn.AdaptiveMaxPool2d((2, 3)),
    'AdaptiveMaxPool2d(2)': lambda: nn.AdaptiveMaxPool2d(2),
    'AdaptiveAvgPool1d(3)': lambda: nn.AdaptiveAvgPool1d(3),
    'AdaptiveMaxPool1d(2)': lambda: nn.AdaptiveMaxPool1d(2),
}


def mcase(group, name, inputs, seed=0, train=True, key=None, etype=None, rtol=1e-5, atol=1e-6, calls=1, grad=True):
    views = [x if isinstance(x, V) else V(x) for x in inputs]
    leaves = [v.base.clone().requires_grad_(grad and v.base.is_floating_point()) for v in views]
    c = {'group': group, 'name': name, 'seed': seed, 'train': train, 'calls': calls, 'grad': grad,
         'inputs': [dump(x, v.steps) for x, v in zip(leaves, views)], 'rtol': rtol, 'atol': atol}
    torch.manual_seed(seed)
    try:
        m = FACTORIES[name]()
    except Exception as e:
        c['error'] = error_of(e, key, etype)
        c['at'] = 'construct'
        modules.append(c)
        return
    c['repr'] = repr(m)
    c['state'] = {k: dump(v) for k, v in m.state_dict().items()}
    m.train(train)
    seen = [apply_steps(x, v.steps) for x, v in zip(leaves, views)]
    try:
        for _ in range(calls):
            out = m(*seen)
    except Exception as e:
        c['error'] = error_of(e, key, etype)
        c['at'] = 'forward'
        modules.append(c)
        return
    assert key is None, (group, name, 'expected an error')
    c['out'] = dump(out)
    c['after'] = {k: dump(v) for k, v in m.state_dict().items()}
    params = dict(m.named_parameters())
    xs = [x for x in leaves if x.requires_grad] + list(params.values())
    if out.requires_grad and xs:
        up = upstream(out)
        gs = torch.autograd.grad([out], xs, [up], allow_unused=True)
        c['upstream'] = dump(up)
        nin = len([x for x in leaves if x.requires_grad])
        c['grads'] = [None if g is None else dump(g) for g in gs[:nin]]
        c['paramGrads'] = {k: dump(g) if g is not None else None for k, g in zip(params.keys(), gs[nin:])}
    modules.append(c)


gen = torch.Generator().manual_seed(13)


def R(*shape, dtype=torch.float32, scale=1.0):
    return torch.randn(*shape, generator=gen, dtype=dtype) * scale


def L(v):
    return torch.tensor(v, dtype=torch.int64)


F64 = torch.float64
# Values on the kinks of the piecewise activations, and large ones.
KINKS = torch.tensor([-4., -3., -2.5, -1., -0.5, 0., 0.5, 1., 2.5, 3., 4., 6., 7., 25., -25.])

# ---- activations ---------------------------------------------------------------------------------------------
for op, args in [('hardtanh', []), ('hardtanh', [-2., 0.5]), ('hardtanh', [2., 1.]), ('relu6', []), ('hardsigmoid', []),
                 ('hardswish', []), ('mish', []), ('selu', []), ('celu', []), ('celu', [2.]), ('logsigmoid', []),
                 ('softsign', []), ('tanhshrink', []), ('softshrink', []), ('softshrink', [1.]), ('hardshrink', []),
                 ('hardshrink', [2.5]), ('threshold', [0.5, -2.]), ('threshold', [3., 3.])]:
    case('activations', op, [KINKS], args)
    case('activations', op, [R(3, 4, scale=3)], args)
    case('activations', op, [V(R(4, 3, dtype=F64, scale=3), ('t',))], args)
    case('activations', op, [V(R(3, 6, scale=3), ('slice', 1, 1, None, 2))], args)
    case('activations', op, [R(0, 3)], args)
case('activations', 'hardtanh', [L([1, 2, -3])], grad=False)
case('activations', 'threshold', [L([1, 2, -3])], [1, 5], grad=False)
case('activations', 'hardswish', [L([1, 2])], key='"hardswish_cpu" not implemented for \'Long\'', etype='TypeError')
case('activations', 'mish', [L([1, 2])], key='"mish_cpu" not implemented for \'Long\'', etype='TypeError')
case('activations', 'softshrink', [R(3)], [-1.], key='lambda must be greater or equal to 0, but found to be -1')
case('activations', 'celu', [R(3)], [0.], key='ZeroDivisionError: alpha cannot be 0 for CELU')
for dim in [-1, 0, 1]:
    case('glu', 'glu', [R(4, 6)], [dim])
case('glu', 'glu', [V(R(6, 4, dtype=F64), ('t',))], [0])
case('glu', 'glu', [R(0, 4)], [1])
case('glu', 'glu', [R(2, 3)], [1], key='Halving dimension must be even, but dimension 1 is size 3')
case('glu', 'glu', [torch.tensor(1.)], key='glu does not support scalars because halving size must be even')
case('glu', 'glu', [R(2, 4)], [2], key='Dimension out of range (expected to be in range of [-2, 1], but got 2)')
for dim in [1, 0, -1]:
    case('softmin', 'softmin', [R(3, 4)], [dim])
case('softmin', 'softmin', [V(R(4, 3, dtype=F64), ('t',))], [1])
# prelu: one weight, one per channel, unbatched and 0-dim inputs
case('prelu', 'prelu', [R(2, 3, 4), torch.tensor([0.25])])
case('prelu', 'prelu', [R(2, 3, 4), torch.tensor([0.25, -0.5, 2.])])
case('prelu', 'prelu', [V(R(4, 3, dtype=F64), ('t',)), torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=F64)])
case('prelu', 'prelu', [R(5), torch.tensor([0.3])])
case('prelu', 'prelu', [torch.tensor(-2.), torch.tensor([0.3])])
case('prelu', 'prelu', [torch.tensor(-2.), torch.tensor(0.3)])
case('prelu', 'prelu', [R(0, 3), torch.tensor([0.1, 0.2, 0.3])])
case('prelu', 'prelu', [KINKS, torch.tensor([0.5])])
case('prelu', 'prelu', [R(2, 3), torch.ones(2)], key='Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and channel size = 3.')
case('prelu', 'prelu', [R(3), torch.ones(3)], key='Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 1.')
case('prelu', 'prelu', [R(2, 3), torch.ones(1, 3)], key='prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = 2')

# ---- distances -------------------------------------------------------------------------------------------------
for kw in [{}, {'dim': 0}, {'dim': -1}, {'eps': 0.5}]:
    case('cosineSimilarity', 'cosineSimilarity', [R(3, 4), R(3, 4)], kwargs=kw)
case('cosineSimilarity', 'cosineSimilarity', [V(R(4, 3, dtype=F64), ('t',)), R(3, 4, dtype=F64)])
case('cosineSimilarity', 'cosineSimilarity', [R(2, 1, 4), R(3, 4)], kwargs={'dim': -1})
case('cosineSimilarity', 'cosineSimilarity', [torch.zeros(2, 3), R(2, 3)])
case('cosineSimilarity', 'cosineSimilarity', [R(2, 3, scale=1e-5), R(2, 3)], kwargs={'eps': 1e-3})
case('cosineSimilarity', 'cosineSimilarity', [R(3), R(3)], kwargs={'dim': 0})
case('cosineSimilarity', 'cosineSimilarity', [R(0, 3), R(0, 3)])
case('cosineSimilarity', 'cosineSimilarity', [L([1, 2]), L([1, 2])], kwargs={'dim': 0}, key='expected common dtype to be floating point, yet common dtype is Long', etype='TypeError')
case('cosineSimilarity', 'cosineSimilarity', [R(2, 3), R(4, 3)], key='The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0')
case('cosineSimilarity', 'cosineSimilarity', [R(2, 3), R(2, 3)], kwargs={'dim': 2}, key='Dimension out of range (expected to be in range of [-2, 1], but got 2)')
for kw in [{}, {'p': 1.}, {'p': 3.}, {'p': 0.5}, {'p': inf}, {'p': 0.}, {'keepdim': True}, {'eps': 0.}, {'p': 1., 'eps': 0.}]:
    case('pairwiseDistance', 'pairwiseDistance', [R(3, 4), R(3, 4)], kwargs=kw)
case('pairwiseDistance', 'pairwiseDistance', [V(R(4, 3, dtype=F64), ('t',)), R(1, 4, dtype=F64)])
case('pairwiseDistance', 'pairwiseDistance', [R(4), R(4)])
case('pairwiseDistance', 'pairwiseDistance', [R(4), R(4)], kwargs={'keepdim': True})
case('pairwiseDistance', 'pairwiseDistance', [R(2, 3, 4), R(3, 4)])
same = R(2, 3)
case('pairwiseDistance', 'pairwiseDistance', [same, same.clone()], kwargs={'eps': 0.})
case('pairwiseDistance', 'pairwiseDistance', [torch.tensor([[1., 5., 5.], [2., 0., -2.]]), torch.zeros(2, 3)], kwargs={'p': inf, 'eps': 0.})
case('pairwiseDistance', 'pairwiseDistance', [R(0, 3), R(0, 3)])
case('pairwiseDistance', 'pairwiseDistance', [R(2, 3), R(4, 3)], key='The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0')

# ---- pixel shuffle -----------------------------------------------------------------------------------------------
case('pixelShuffle', 'pixelShuffle', [R(2, 8, 2, 3)], [2])
case('pixelShuffle', 'pixelShuffle', [R(9, 2, 2)], [3])
case('pixelShuffle', 'pixelShuffle', [R(2, 1, 4, 1, 3)], [2])
case('pixelShuffle', 'pixelShuffle', [V(R(2, 3, 4, 8, dtype=F64), ('transpose', 1, 3))], [2])
# PyTorch 1.13's backward of an empty pixel shuffle fails its own shape check: values only.
case('pixelShuffle', 'pixelShuffle', [R(0, 4, 2, 2)], [2], grad=False)
case('pixelShuffle', 'pixelShuffle', [R(2, 3)], [2], key='pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)')
case('pixelShuffle', 'pixelShuffle', [R(1, 5, 2, 2)], [2], key="pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=5 is not divisible by 4")
case('pixelShuffle', 'pixelShuffle', [R(1, 4, 2, 2)], [0], key='pixel_shuffle expects a positive upscale_factor, but got 0')
case('pixelShuffle', 'pixelUnshuffle', [R(2, 2, 4, 6)], [2])
case('pixelShuffle', 'pixelUnshuffle', [R(1, 6, 9)], [3])
case('pixelShuffle', 'pixelUnshuffle', [V(R(2, 6, 4, 2, dtype=F64), ('transpose', 1, 3))], [2])
# PyTorch 1.13 returns an empty input to pixel_unshuffle unchanged ([0, 1, 2, 2] stays so); torchlet gives the
# rearranged shape [0, 4, 1, 1] (test/nn/layers2.test.ts checks it), so no fixture.
case('pixelShuffle', 'pixelUnshuffle', [R(1, 4, 5, 2)], [2], key='pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=5 is not divisible by 2')
case('pixelShuffle', 'pixelUnshuffle', [R(1, 4, 4, 5)], [2], key='pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=5 is not divisible by 2')
case('pixelShuffle', 'pixelUnshuffle', [R(1, 4, 4, 4)], [0], key='pixel_unshuffle expects a positive downscale_factor, but got 0')

# ---- interpolate ------------------------------------------------------------------------------------------------
x1 = R(2, 3, 5)
x2 = R(2, 2, 4, 5)
for kw in [{'size': 8}, {'size': 3}, {'size': 5}, {'size': 10}, {'size': 1}, {'scale_factor': 2}, {'scale_factor': 1.7},
           {'scale_factor': 0.6}, {'scale_factor': 1.7, 'recompute_scale_factor': True}, {'scale_factor': 2.5, 'recompute_scale_factor': False}]:
    for mode, corners in [('nearest', None), ('nearest-exact', None), ('linear', False), ('linear', True)]:
        k = dict(kw, mode=mode)
        if corners is not None:
            k['align_corners'] = corners
        case('interpolate 1-D', 'interpolate', [x1], kwargs=k)
for kw in [{'size': (7, 8)}, {'size': 3}, {'size': (4, 10)}, {'size': (1, 1)}, {'size': (2, 7)}, {'scale_factor': 2},
           {'scale_factor': (1.5, 0.75)}, {'scale_factor': (1.5, 0.75), 'recompute_scale_factor': True}, {'scale_factor': 3.3}]:
    for mode, corners in [('nearest', None), ('nearest-exact', None), ('bilinear', False), ('bilinear', True)]:
        k = dict(kw, mode=mode)
        if corners is not None:
            k['align_corners'] = corners
        case('interpolate 2-D', 'interpolate', [x2], kwargs=k)
for mode in ['nearest', 'bilinear']:
    case('interpolate 2-D', 'interpolate', [V(R(2, 5, 4, 2, dtype=F64), ('permute', [0, 3, 2, 1]))], kwargs={'size': (6, 9), 'mode': mode})
    case('interpolate 2-D', 'interpolate', [V(R(2, 2, 4, 10), ('slice', 3, 0, None, 2))], kwargs={'scale_factor': 1.5, 'mode': mode})
    case('interpolate 2-D', 'interpolate', [R(0, 2, 3, 3)], kwargs={'size': 4, 'mode': mode})
    case('interpolate 2-D', 'interpolate', [torch.tensor([[[[1., inf], [2., 3.]]]])], kwargs={'size': 3, 'mode': mode})
case('interpolate 1-D', 'interpolate', [V(R(3, 2, 6, dtype=F64), ('transpose', 0, 1))], kwargs={'size': 9, 'mode': 'linear'})
for kw in [{'size': 3}, {'size': 7}, {'scale_factor': 0.5}, {'scale_factor': 1.5}]:
    case('interpolate area', 'interpolate', [x1], kwargs=dict(kw, mode='area'))
    case('interpolate area', 'interpolate', [x2], kwargs=dict(kw, mode='area'))
case('interpolate area', 'interpolate', [x2], kwargs={'size': (3, 2), 'mode': 'area'})
case('interpolate area', 'interpolate', [R(1, 1, 4)], kwargs={'size': 3, 'mode': 'area', 'align_corners': False}, key='align_corners option can only be set with the interpolating modes')
case('interpolate 1-D', 'interpolate', [R(0, 2, 3)], kwargs={'size': 4})
IE = 'interpolate errors'
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': 3, 'scale_factor': 2}, key='only one of size or scale_factor should be defined')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={}, key='either size or scale_factor should be defined')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': [3, 3]}, key='Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [4] and output size of')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'scale_factor': [3., 3.]}, key='Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [4] and scale_factor of shape')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': 3, 'align_corners': True}, key='align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': 3, 'recompute_scale_factor': True}, key='recompute_scale_factor is not meaningful with an explicit size.')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': 3, 'mode': 'bilinear'}, key='Got 3D input, but bilinear mode needs 4D input')
case(IE, 'interpolate', [R(1, 1, 4, 4)], kwargs={'size': 3, 'mode': 'linear'}, key='Got 4D input, but linear mode needs 3D input')
case(IE, 'interpolate', [R(1, 4)], kwargs={'size': 3}, key='Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got nearest)')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'size': 0}, key='Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)')
case(IE, 'interpolate', [R(1, 1, 4)], kwargs={'scale_factor': 0.2}, key='Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)')
case(IE, 'interpolate', [R(1, 1, 0)], kwargs={'size': 3}, key='Input and output sizes should be greater than 0, but got input (W: 0) and output (W: 3)')
case(IE, 'interpolate', [R(1, 1, 2, 0)], kwargs={'size': 3, 'mode': 'bilinear'}, key='Input and output sizes should be greater than 0, but got input (H: 2, W: 0) output (H: 3, W: 3)')
case(IE, 'interpolate', [R(1, 0, 4)], kwargs={'size': 3}, key='Non-empty 3D data tensor expected but got a tensor with sizes [1, 0, 4]')
case(IE, 'interpolate', [L([[[1, 2]]])], kwargs={'size': 3}, key='"compute_indices_weights_nearest" not implemented for \'Long\'', etype='TypeError')
case(IE, 'interpolate', [L([[[1, 2]]])], kwargs={'size': 3, 'mode': 'linear'}, key='"compute_indices_weights_linear" not implemented for \'Long\'', etype='TypeError')

# ---- embedding bag -----------------------------------------------------------------------------------------------
W = R(6, 3)
flat = L([0, 2, 2, 5, 1, 4, 3, 2, 0])
offs = L([0, 2, 2, 5])
for mode in ['sum', 'mean', 'max']:
    case('embeddingBag', 'embeddingBag', [flat, W, offs], kwargs={'offsets': {'t': 2}, 'mode': mode})
    case('embeddingBag', 'embeddingBag', [flat, W, L([0, 2, 2, 5, 9])], kwargs={'offsets': {'t': 2}, 'mode': mode, 'include_last_offset': True})
    case('embeddingBag', 'embeddingBag', [flat, W, offs], kwargs={'offsets': {'t': 2}, 'mode': mode, 'padding_idx': 2})
    case('embeddingBag', 'embeddingBag', [flat, W, offs], kwargs={'offsets': {'t': 2}, 'mode': mode, 'padding_idx': -1})
    case('embeddingBag', 'embeddingBag', [L([[0, 3, 3], [2, 2, 2], [5, 1, 0]]), W], kwargs={'mode': mode})
    case('embeddingBag', 'embeddingBag', [L([[0, 3, 3], [2, 2, 2], [5, 1, 0]]), W], kwargs={'mode': mode, 'padding_idx': 2})
    case('embeddingBag', 'embeddingBag', [V(L([[0, 3, 1], [2, 5, 4]]), ('t',)), V(R(3, 6, dtype=F64), ('t',))], kwargs={'mode': mode})
    case('embeddingBag', 'embeddingBag', [L([]), W, L([0, 0])], kwargs={'offsets': {'t': 2}, 'mode': mode})
case('embeddingBag', 'embeddingBag', [flat, W, offs, R(9)], kwargs={'offsets': {'t': 2}, 'mode': 'sum', 'per_sample_weights': {'t': 3}})
case('embeddingBag', 'embeddingBag', [flat, W, offs, R(9)], kwargs={'offsets': {'t': 2}, 'mode': 'sum', 'per_sample_weights': {'t': 3}, 'padding_idx': 2})
case('embeddingBag', 'embeddingBag', [L([[0, 3], [2, 2]]), W, R(2, 2)], kwargs={'mode': 'sum', 'per_sample_weights': {'t': 2}})
# ties in max mode: the first maximum gets the gradient
case('embeddingBag', 'embeddingBag', [L([0, 1, 1, 0]), torch.tensor([[1., 2.], [1., 2.]]), L([0, 2])], kwargs={'offsets': {'t': 2}, 'mode': 'max'})
# No bags: PyTorch 1.13's backward crashes (a segmentation fault), so values only.
case('embeddingBag', 'embeddingBag', [flat, W, L([])], kwargs={'offsets': {'t': 2}}, grad=False)
case('embeddingBag', 'embeddingBag', [flat, W, L([0])], kwargs={'offsets': {'t': 2}, 'include_last_offset': True}, grad=False)
EE = 'embeddingBag errors'
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([1, 2])], kwargs={'offsets': {'t': 2}}, key='offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got 1')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 5])], kwargs={'offsets': {'t': 2}}, key="offsets[-1] can not be greater than input's length 3 but got offsets[-1] of 5")
case(EE, 'embeddingBag', [L([1, 2, 7]), W, L([0, 2])], kwargs={'offsets': {'t': 2}}, key='is out of bounds: 7, range 0 to 6')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 2, 1])], kwargs={'offsets': {'t': 2}}, key='!offsets must be non-decreasing', etype='RangeError')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 2])], kwargs={'offsets': {'t': 2}, 'padding_idx': 6}, key='padding_idx must be within the number of embeddings, -6 through 5, but got 6')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 2])], kwargs={'offsets': {'t': 2}, 'padding_idx': -7}, key='padding_idx must be within the number of embeddings, -6 through 5, but got -7')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 2])], kwargs={'offsets': {'t': 2}, 'mode': 'min'}, key='mode has to be one of sum, mean or max')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0, 2]), R(3)], kwargs={'offsets': {'t': 2}, 'mode': 'max', 'per_sample_weights': {'t': 3}},
     key="per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='max')")
case(EE, 'embeddingBag', [L([1, 2, 3]), W], key='offsets has to be a 1D Tensor but got None')
case(EE, 'embeddingBag', [L([[1, 2, 3]]), W, L([0])], kwargs={'offsets': {'t': 2}}, key='if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences')
case(EE, 'embeddingBag', [L([[[1, 2, 3]]]), W], key='input has to be 1D or 2D Tensor, but got Tensor of dimension 3')
case(EE, 'embeddingBag', [L([1, 2, 3]), W, L([0]), R(2)], kwargs={'offsets': {'t': 2}, 'mode': 'sum', 'per_sample_weights': {'t': 3}},
     key='is not None, then it must have the same shape as the input')

# ---- instance norm -------------------------------------------------------------------------------------------
# Gradients are float32 sums with cancellation (sum(g) and sum(g (x - mean)) per instance): 1e-4 relative, 1e-5 absolute.
IN_TOL = {'rtol': 1e-4, 'atol': 1e-5}
case('instanceNorm', 'instanceNorm', [R(2, 3, 5)], **IN_TOL)
case('instanceNorm', 'instanceNorm', [R(2, 3, 4, 5), R(3), R(3)], kwargs={'weight': {'t': 1}, 'bias': {'t': 2}, 'eps': 0.1}, **IN_TOL)
case('instanceNorm', 'instanceNorm', [V(R(5, 3, 2, dtype=F64), ('transpose', 0, 2))], **IN_TOL)
case('instanceNorm', 'instanceNorm', [R(2, 3, 5), R(3), R(3).abs()], kwargs={'running_mean': {'t': 1}, 'running_var': {'t': 2}, 'use_input_stats': False}, grad=False)
case('instanceNorm', 'instanceNorm', [R(2, 3, 1)], key='Expected more than 1 spatial element when training')
case('instanceNorm', 'instanceNorm', [R(2, 3)], key='!expected an input of 3 or more dims', etype='RangeError')
case('instanceNorm', 'instanceNorm', [R(2, 3, 4), torch.ones(2)], kwargs={'weight': {'t': 1}}, key='weight should contain 6 elements not 4')
case('instanceNorm', 'instanceNorm', [R(2, 3, 4)], kwargs={'use_input_stats': False}, key='Expected running_mean and running_var to be defined when use_input_stats is false')

# ---- 1-D adaptive pools and padding modes ------------------------------------------------------------------------
for op in ['adaptiveAvgPool1d', 'adaptiveMaxPool1d']:
    for size in [1, 3, 5, 7]:
        case('adaptive pools 1-D', op, [R(2, 3, 5)], [size])
    case('adaptive pools 1-D', op, [V(R(6, 2, dtype=F64), ('t',))], [4])
    case('adaptive pools 1-D', op, [R(0, 2, 4)], [2])
    case('adaptive pools 1-D', op, [R(1, 2, 3, 4)], [2], key='Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1')
case('adaptive pools 1-D', 'adaptiveMaxPool1d', [R(2, 3, 7)], [3], {'return_indices': True})
PE = 'pad modes'
for mode in ['reflect', 'replicate', 'circular']:
    case(PE, 'pad', [R(2, 3, 4)], [(1, 2), mode])
    case(PE, 'pad', [R(2, 3, 4, 5)], [(1, 2, 0, 3), mode])
for p in [(-1, -1), (-2, -1), (1, -1, -1, 0), (-3, 1), (2, -1, 0, -1)]:
    case(PE, 'pad', [R(2, 2, 3)], [p, 'constant'])
case(PE, 'pad', [V(R(3, 2, 4, dtype=F64), ('transpose', 0, 2))], [(-1, 2, 1, -1), 'constant'])
for mode in ['reflect', 'replicate']:
    for p in [(-1, 2), (2, -3), (-1, -1), (-4, 4)]:
        case(PE, 'pad', [R(2, 2, 5)], [p, mode])
    case(PE, 'pad', [R(1, 2, 4, 5)], [(-1, 2, 1, -2), mode])
    case(PE, 'pad', [R(1, 2, 5)], [(-2, -3), mode], key='is too small. Calculated output W: 0')
case(PE, 'pad', [R(1, 2, 3)], [(-2, -2), 'constant'], key='!resulted in a negative output size', etype='RangeError')
case(PE, 'pad', [R(1, 2, 3, 4)], [(1, 1), 'reflect'], key='Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now')
case(PE, 'pad', [R(3)], [(1, 1), 'replicate'], key='Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now')
case(PE, 'pad', [R(2, 3)], [(1, 1), 'circular'], key='Invalid padding size, expected 0 but got 2')
case(PE, 'pad', [R(1, 2, 3)], [(3, 3), 'reflect'], key='Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 2 of input [1, 2, 3]')

# ---- modules -----------------------------------------------------------------------------------------------------
ACT = R(2, 3, 4, scale=3)
for name in ['Hardtanh()', 'Hardtanh(-2, 0.5, inplace)', 'ReLU6()', 'ReLU6(inplace)', 'Hardsigmoid()', 'Hardswish(inplace)', 'Mish()',
             'SELU()', 'CELU(2)', 'GLU()', 'GLU(1)', 'LogSigmoid()', 'Softsign()', 'Tanhshrink()', 'Softshrink()', 'Hardshrink(1.5)',
             'Threshold(0.1, 20)', 'Softmin(1)', 'ReLU(inplace)', 'LeakyReLU(0.2, inplace)', 'ELU(1, inplace)', 'SiLU(inplace)']:
    if 'inplace' in name:
        # In place: into an input without grad; a leaf that requires grad is refused (torchlet: an Error, as checkWritable's).
        mcase('activation modules', name, [ACT], grad=False)
        mcase('activation modules', name, [ACT], key='a leaf Variable that requires grad is being used in an in-place operation.', etype='Error')
        continue
    mcase('activation modules', name, [ACT if name != 'GLU(1)' else R(2, 4, 3)])
mcase('activation modules', 'Hardtanh(1, 1)', [], key='')
for name, x in [('PReLU()', R(2, 3, 4)), ('PReLU(3, 0.1)', R(2, 3, 4)), ('PReLU(3, 0.1)', R(4, 3))]:
    mcase('PReLU', name, [x])
mcase('distance modules', 'CosineSimilarity()', [R(3, 4), R(3, 4)])
mcase('distance modules', 'CosineSimilarity(0, 0.5)', [R(3, 4), R(1, 4)])
mcase('distance modules', 'PairwiseDistance()', [R(3, 4), R(3, 4)])
mcase('distance modules', 'PairwiseDistance(1, 0, keepdim)', [R(3, 4), R(3, 4)])
mcase('pixel shuffle modules', 'PixelShuffle(2)', [R(1, 8, 2, 3)])
mcase('pixel shuffle modules', 'PixelUnshuffle(2)', [R(1, 2, 4, 6)])
for name, x in [('ConstantPad1d(2, 3.5)', R(2, 3)), ('ConstantPad1d(2, 3.5)', R(2, 3, 4)), ('ConstantPad2d([1, 0, 2, 1], -1)', R(2, 3, 4)),
                ('ConstantPad3d(1, 0)', R(1, 2, 2, 3)), ('ZeroPad2d(1)', R(1, 2, 3, 3)), ('ReflectionPad1d([2, 1])', R(2, 3, 4)),
                ('ReflectionPad1d([2, 1])', V(R(4, 3, dtype=F64), ('t',))), ('ReflectionPad2d(1)', R(1, 2, 3, 3)),
                ('ReplicationPad1d([1, 3])', R(2, 3, 4)), ('ReplicationPad2d([2, 0, 1, 3])', R(1, 2, 3, 3)), ('ReplicationPad2d([2, 0, 1, 3])', R(0, 2, 3, 3))]:
    mcase('padding modules', name, [x])
mcase('padding modules', 'ReflectionPad1d(3)', [R(1, 2, 3)], key='Padding size should be less than the corresponding input dimension')
for name, x in [('Upsample(scale 2)', R(1, 2, 3)), ('Upsample(scale 2)', R(1, 2, 3, 2)), ('Upsample(size [3, 5], bilinear)', R(2, 1, 2, 4)),
                ('Upsample(scale 1.5, linear, alignCorners)', R(1, 2, 5)), ('UpsamplingNearest2d(size 5)', R(1, 1, 2, 3)),
                ('UpsamplingBilinear2d(scale 2)', R(1, 2, 3, 3))]:
    mcase('upsampling modules', name, [x])
for name, x, train in [('InstanceNorm1d(3)', R(2, 3, 5), True), ('InstanceNorm1d(3)', R(3, 5), True),
                       ('InstanceNorm1d(3, affine, track)', R(2, 3, 5), True), ('InstanceNorm1d(3, affine, track)', R(2, 3, 5), False),
                       ('InstanceNorm2d(2, eps 0.1, momentum 0.3, track)', R(3, 2, 3, 4), True),
                       ('InstanceNorm2d(2, eps 0.1, momentum 0.3, track)', R(2, 3, 4), True),
                       ('InstanceNorm2d(2, affine)', R(2, 2, 3, 3), True), ('LayerNorm(4, no affine)', R(3, 4), True)]:
    mcase('normalization modules', name, [x], train=train, **IN_TOL)
mcase('normalization modules', 'InstanceNorm2d(2, eps 0.1, momentum 0.3, track)', [R(3, 2, 3, 4)], calls=2, **IN_TOL)
mcase('normalization modules', 'InstanceNorm1d(3, affine, track)', [R(2, 4, 5)], key='running_mean should contain 8 elements not 6')
mcase('normalization modules', 'InstanceNorm1d(3)', [R(2, 4, 5)], **IN_TOL)  # PyTorch 1.13 lets a channel mismatch through without parameters
mcase('normalization modules', 'InstanceNorm1d(3)', [R(4)], key='expected 2D or 3D input (got 1D input)')
for seed, name, xs in [(0, 'EmbeddingBag(6, 3)', [L([[0, 1, 5], [2, 2, 4]])]), (1, 'EmbeddingBag(6, 3, sum, padding 2)', [L([0, 2, 3, 2, 1]), L([0, 3]), R(5)]),
                       (2, 'EmbeddingBag(6, 3, max, lastOffset)', [L([0, 2, 3, 2, 1]), L([0, 1, 5])]), (3, 'EmbeddingBag(6, 3, mean, padding -1)', [L([5, 5, 3, 1]), L([0, 2])])]:
    mcase('EmbeddingBag', name, xs, seed=seed)
for name, x in [('MaxPool1d(3)', R(2, 3, 7)), ('MaxPool1d(2, stride 1, padding 1, ceil)', R(2, 5)), ('AvgPool1d(3, 2, 1)', R(2, 3, 7)),
                ('AvgPool1d(2, ceil, no pad count)', R(1, 2, 6)), ('AdaptiveMaxPool2d([2, 3])', R(1, 2, 5, 7)), ('AdaptiveMaxPool2d(2)', R(2, 5, 4)),
                ('AdaptiveAvgPool1d(3)', R(2, 3, 7)), ('AdaptiveMaxPool1d(2)', R(3, 5))]:
    mcase('pooling modules', name, [x])

data = {'torch': torch.__version__, 'cases': cases, 'modules': modules}
with open(OUT, 'w') as f:
    json.dump(data, f, separators=(',', ':'))
print(f'wrote {OUT}: {len(cases)} cases, {len(modules)} modules, {os.path.getsize(OUT)} bytes')
