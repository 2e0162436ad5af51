#!/usr/bin/env python3
"""PyTorch side of torchlet's benchmarks: a long-lived helper (one fork per run) that answers one JSON line per
request with per-repetition timings in milliseconds. Started by bench/pytorch.js."""
import ctypes
import ctypes.util
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import torch_sequence


def timed(fn, warmup, reps, inner=1):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) * 1e3 / inner)
    return out


def autograd_tiny(req):
    torch.manual_seed(0)
    w = torch.randn(16, requires_grad=True)
    b = torch.randn(16, requires_grad=True)
    x = torch.randn(16)

    def loop():
        for _ in range(req['inner']):
            (x * w + b).relu().sum().backward()
    return timed(loop, req['warmup'], req['reps'])


def lstm_cell_loop(req):
    """An LSTM cell written with primitives (matmul, chunk, sigmoid, tanh, mul, add), unrolled over the steps,
    forward and backward: many small ops per step."""
    torch.manual_seed(0)
    steps, batch, hidden = req['steps'], req['batch'], req['hidden']
    w_ih = (torch.randn(hidden, 4 * hidden) * 0.05).requires_grad_()
    w_hh = (torch.randn(hidden, 4 * hidden) * 0.05).requires_grad_()
    bias = torch.zeros(4 * hidden, requires_grad=True)
    xs = torch.randn(steps, batch, hidden)

    def run():
        w_ih.grad = w_hh.grad = bias.grad = None
        h = torch.zeros(batch, hidden)
        c = torch.zeros(batch, hidden)
        for t in range(steps):
            i, f, g, o = (xs[t].matmul(w_ih) + h.matmul(w_hh) + bias).chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
        h.sum().backward()
    return timed(run, req['warmup'], req['reps'])


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss():
    return torch_sequence.peak_rss()


def training_step(model, batch, shape):
    """One training step (zero_grad, cross entropy, backward, Adam) of model on fixed random data."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def timed_step(step, req):
    """Timings of a training step, with the minor page faults per step over the timed repetitions."""
    for _ in range(req['warmup']):
        step()
    faults = minor_faults()
    times = timed(step, 0, req['reps'])
    return {'times': times, 'faults': (minor_faults() - faults) / req['reps'], 'maxRss': peak_rss()}


def mlp_model():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def mlp_step(req):
    torch.manual_seed(0)
    return timed_step(training_step(mlp_model(), req['batch'], (784,)), req)


def conv(req):
    torch.manual_seed(0)
    n, c, h, w, oc, k, pad = req['n'], req['c'], req['h'], req['w'], req['oc'], req['k'], req['pad']
    x = torch.rand(n, c, h, w, requires_grad=req['backward'])
    weight = torch.rand(oc, c, k, k, requires_grad=req['backward'])
    bias = torch.rand(oc, requires_grad=req['backward'])
    if req['backward']:
        up = torch.rand(n, oc, h + 2 * pad - k + 1, w + 2 * pad - k + 1)

        def run():
            x.grad = weight.grad = bias.grad = None
            F.conv2d(x, weight, bias, padding=pad).backward(up)
    else:
        def run():
            with torch.no_grad():
                F.conv2d(x, weight, bias, padding=pad)
    return timed(run, req['warmup'], req['reps'])


OPS_STATE = {}


def ops_calls(n):
    """The calls of bench/ops.js by name, on the same shapes (matrices [n / 1024, 1024])."""
    torch.manual_seed(0)
    cols = 1024
    rows = n // cols
    a, b, acc, scaled = torch.rand(n), torch.rand(n), torch.rand(n), torch.rand(n)
    m = torch.randn(rows, cols)
    target = torch.randint(0, cols, (rows,))
    weight, bias = torch.rand(cols), torch.rand(cols)
    up = torch.randn(rows, cols)
    x, w, bb = m.clone().requires_grad_(), weight.clone().requires_grad_(), bias.clone().requires_grad_()

    def backward(fn):
        def call():
            x.grad = w.grad = bb.grad = None
            fn()
        return call
    return {
        'add': lambda: a + b, 'add_': lambda: acc.add_(b), 'mul': lambda: a * b, 'mul scalar': lambda: a * 1.5,
        'mul_ scalar': lambda: scaled.mul_(0.999), 'exp': lambda: m.exp(), 'tanh': lambda: m.tanh(),
        'sigmoid': lambda: m.sigmoid(), 'relu': lambda: m.relu(), 'gelu': lambda: F.gelu(m),
        'gelu tanh': lambda: F.gelu(m, approximate='tanh'), 'softplus': lambda: F.softplus(m), 'erf': lambda: m.erf(),
        'log': lambda: a.log(), 'sin': lambda: m.sin(), 'pow': lambda: a.pow(2.5), 'sum': lambda: a.sum(),
        'sum dim 1': lambda: m.sum(1), 'sum dim 0': lambda: m.sum(0), 'max dim': lambda: m.max(1),
        'softmax': lambda: m.softmax(1), 'logSoftmax': lambda: m.log_softmax(1),
        'logsumexp': lambda: m.logsumexp(1),
        'layerNorm': lambda: F.layer_norm(m, [cols], weight, bias), 'crossEntropy': lambda: F.cross_entropy(m, target),
        'transpose+contiguous': lambda: m.t().contiguous(),
        'softmax fwd+bwd': backward(lambda: x.softmax(1).backward(up)),
        'logSoftmax fwd+bwd': backward(lambda: x.log_softmax(1).backward(up)),
        'layerNorm fwd+bwd': backward(lambda: F.layer_norm(x, [cols], w, bb).backward(up)),
        'crossEntropy fwd+bwd': backward(lambda: F.cross_entropy(x, target).backward()),
        'gelu fwd+bwd': backward(lambda: F.gelu(x).backward(up)),
    }


def ops(req):
    if req['n'] not in OPS_STATE:
        OPS_STATE[req['n']] = ops_calls(req['n'])
    return timed(OPS_STATE[req['n']][req['op']], req['warmup'], req['reps'], req.get('inner', 1))


def matmul(req):
    torch.manual_seed(req['n'])
    a, b = torch.rand(req['n'], req['n']), torch.rand(req['n'], req['n'])
    return timed(lambda: torch.matmul(a, b), req['warmup'], req['reps'], req.get('inner', 1))


def leak(req):
    """RSS (bytes) after `first` and after `last` MLP training steps in this fresh process."""
    def rss():
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * 4096
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, req['hidden']), nn.ReLU(), nn.Linear(req['hidden'], 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(req['batch'], 784)
    y = torch.randint(0, 10, (req['batch'],))
    out = {}
    for i in range(1, req['last'] + 1):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i in (req['first'], req['last']):
            out[i] = rss()
    out['peak'] = peak_rss()
    return out


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))


def cnn_step(req):
    torch.manual_seed(0)
    return timed_step(training_step(CNN(), req['batch'], (1, 28, 28)), req)


def step_memory(req):
    """In a fresh process: minor page faults per step over `steps` steps after `warmup` steps of the MLP or CNN
    training step, and the process's peak RSS in bytes."""
    torch.manual_seed(0)
    if req['model'] == 'mlp':
        step = training_step(mlp_model(), req['batch'], (784,))
    else:
        step = training_step(CNN(), req['batch'], (1, 28, 28))
    for _ in range(req['warmup']):
        step()
    faults = minor_faults()
    for _ in range(req['steps']):
        step()
    return {'faults': (minor_faults() - faults) / req['steps'], 'peak': peak_rss()}


WORKLOADS = {'autograd_tiny': autograd_tiny, 'lstm_cell_loop': lstm_cell_loop, 'mlp_step': mlp_step, 'conv': conv, 'cnn_step': cnn_step, 'ops': ops,
             'matmul': matmul, 'sequence': lambda req: torch_sequence.sequence(req, timed)}


def openblas():
    """The OpenBLAS that torch's BLAS calls reach (Debian's libblas.so.3 is OpenBLAS), or None."""
    for name in ('libopenblas.so.0', ctypes.util.find_library('openblas')):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except OSError:
            pass
    return None


BLAS = openblas()


def set_threads(n):
    # torch.set_num_threads governs OpenMP only; Debian's OpenBLAS keeps its own pool (2 threads here), so a
    # "1 thread" PyTorch run would still multiply on two cores. Set both, for the same thread count as torchlet.
    torch.set_num_threads(n)
    if BLAS is not None:
        BLAS.openblas_set_num_threads(n)


def main():
    info = {'torch': torch.__version__, 'blasThreadsControlled': BLAS is not None,
            'config': [l.strip() for l in torch.__config__.show().splitlines() if 'CPU capability' in l]}
    print(json.dumps({'ready': True, **info}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        set_threads(req.get('threads', 1))
        try:
            result = WORKLOADS[req['workload']](req)
            print(json.dumps(result if isinstance(result, dict) else {'times': result}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({'error': repr(e)}), flush=True)


if __name__ == '__main__':
    main()
