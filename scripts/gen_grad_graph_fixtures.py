#!/usr/bin/env python3
"""Writes test/fixtures/grad_graph.json from Debian's python3-torch: the graph a createGraph gradient carries.

PyTorch's backward functions for comparisons-only ops (hardtanh, threshold, the shrinks, pooling, padding,
nll_loss, convolution, prelu) take the op's input as an argument with a zero derivative, so the gradient
autograd.grad(..., create_graph=True) returns requires grad whenever the input does, and zeros (NaN after a factor
of 0 * inf) flow back through the input's producers. For each case: x (the leaf), the first-order gradient of
sum(w * f(x)) with create_graph (its requires_grad and grad_fn name), then the gradient of sum(u * g) for x (or None,
or PyTorch's error). Run: npm run fixtures (or this script alone). The test is test/autograd/grad_graph.test.ts,
which keys each case's function by name."""
import json
import os

import torch
import torch.nn.functional as F

from gen_fixtures import OUT, dump_tensor

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(23)
nan, inf = float('nan'), float('inf')


def randn(*s):
    return torch.randn(s, generator=gen)


W3 = randn(3, 2, 3, 3)
A = torch.tensor([[[1.24, -1.11, -inf]]])
T2 = torch.tensor([1, 0, 2, 2])
T4 = torch.tensor([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])
L1_TARGET = randn(2, 5)

# name -> (function of x, shape of x); the test has the same names with torchlet's spelling of each function.
CASES = {
    'relu': (lambda x: x.relu(), (2, 5)),
    'leakyRelu': (lambda x: F.leaky_relu(x, 0.1), (2, 5)),
    'hardtanh': (lambda x: F.hardtanh(x), (2, 5)),
    'relu6': (lambda x: F.relu6(x * 4), (2, 5)),
    'threshold': (lambda x: F.threshold(x, 0.1, 2.0), (2, 5)),
    'softshrink': (lambda x: F.softshrink(x, 0.5), (2, 5)),
    'hardshrink': (lambda x: F.hardshrink(x, 0.5), (2, 5)),
    'hardsigmoid': (lambda x: F.hardsigmoid(x * 4), (2, 5)),
    'abs': (lambda x: x.abs(), (2, 5)),
    'l1Loss': (lambda x: F.l1_loss(x, L1_TARGET, reduction='none'), (2, 5)),
    'prelu': (lambda x: F.prelu(x, torch.tensor([0.25])), (2, 5)),
    'prelu per channel': (lambda x: F.prelu(x, torch.tensor([0.25, -0.5, 2.0])), (2, 3, 2)),
    'maxPool2d': (lambda x: F.max_pool2d(x, 2), (1, 2, 4, 4)),
    'maxPool2d padded': (lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5)),
    'avgPool2d': (lambda x: F.avg_pool2d(x, 2), (1, 2, 4, 4)),
    'adaptiveAvgPool2d': (lambda x: F.adaptive_avg_pool2d(x, 2), (1, 2, 5, 5)),
    'adaptiveMaxPool2d': (lambda x: F.adaptive_max_pool2d(x, 2), (1, 2, 5, 5)),
    'maxPool1d': (lambda x: F.max_pool1d(x, 2), (1, 2, 6)),
    'avgPool1d': (lambda x: F.avg_pool1d(x, 2), (1, 2, 6)),
    'bmm then maxPool2d': (lambda x: F.max_pool2d(torch.bmm(A, x), 1), (1, 3, 1)),
    'nllLoss': (lambda x: F.nll_loss(x, T2), (4, 3)),
    'nllLoss none': (lambda x: F.nll_loss(x, T2, reduction='none'), (4, 3)),
    'nllLoss 4d': (lambda x: F.nll_loss(x, T4), (2, 3, 2, 2)),
    'pad reflect 1d': (lambda x: F.pad(x, (1, 2), mode='reflect'), (1, 2, 5)),
    'pad reflect 2d': (lambda x: F.pad(x, (1, 1, 2, 1), mode='reflect'), (1, 1, 3, 3)),
    'pad replicate 2d': (lambda x: F.pad(x, (1, 1, 1, 1), mode='replicate'), (1, 1, 3, 3)),
    'pad replicate 3d': (lambda x: F.pad(x, (1, 0, 0, 1, 1, 1), mode='replicate'), (1, 1, 2, 2, 2)),
    'conv2d': (lambda x: F.conv2d(x, W3, padding=1), (1, 2, 4, 4)),
    'convTranspose2d': (lambda x: F.conv_transpose2d(x, W3.transpose(0, 1).contiguous()), (1, 2, 3, 3)),
}


def values(shape, special):
    """A random x, or with special=True one with an infinity, a NaN, a zero and values at the kinks."""
    x = randn(*shape)
    if special:
        flat = x.view(-1)
        for i, v in enumerate([inf, nan, 0.0, -inf, 0.5, -1.0]):
            if i < flat.numel():
                flat[(7 * i + 1) % flat.numel()] = v
    return x


def case(name, special):
    fn, shape = CASES[name]
    x0 = values(shape, special)
    x = x0.clone().requires_grad_()
    y = fn(x)
    w = randn(*y.shape)
    if special and w.numel() > 2:
        w.view(-1)[1] = inf
    g, = torch.autograd.grad((y * w).sum(), [x], create_graph=True)
    u = randn(*g.shape)
    rec = {'name': name, 'special': special, 'x': dump_tensor(x0), 'w': dump_tensor(w), 'u': dump_tensor(u),
           'first': dump_tensor(g), 'requiresGrad': bool(g.requires_grad),
           'gradFn': g.grad_fn.name() if g.grad_fn is not None else None}
    if g.requires_grad:
        try:
            gg, = torch.autograd.grad((g * u).sum(), [x], allow_unused=True)
            if gg is not None and gg._is_zerotensor():  # abs's sgn: an efficient zero tensor, no storage to dump
                rec['second'] = 'zero tensor'
            else:
                rec['second'] = dump_tensor(gg) if gg is not None else None
        except RuntimeError as e:
            rec['error'] = str(e).split('\n')[0]
    return rec


def backward_error(fn, shape):
    """PyTorch's error from the backward of fn at an x of this shape (the forward passes)."""
    x = torch.zeros(shape, requires_grad=True)
    y = fn(x)
    try:
        y.sum().backward()
    except RuntimeError as e:
        return str(e).split('\n')[0]
    raise AssertionError('no error')


def main():
    cases = [case(name, special) for name in CASES for special in (False, True)]
    # A backward that refuses what its forward took: adaptive_avg_pool2d of an empty channel dim.
    errors = {'adaptiveAvgPool2d empty channels': backward_error(lambda x: F.adaptive_avg_pool2d(x, 3), (1, 0, 4, 1))}
    with open(os.path.join(OUT, 'grad_graph.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'constants': {'W3': dump_tensor(W3), 'L1_TARGET': dump_tensor(L1_TARGET)},
                   'backwardErrors': errors, 'cases': cases}, f)
    print(f'grad_graph.json: {len(cases)} cases')


if __name__ == '__main__':
    main()
