#!/usr/bin/env python3
"""PyTorch side of torchlet's benchmarks: a long-lived helper (one fork per run) that answers one JSON line per
request with per-repetition timings in milliseconds. Started by bench/pytorch.js."""
import ctypes
import ctypes.util
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


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


def mlp_step(req):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(req['batch'], 784)
    y = torch.randint(0, 10, (req['batch'],))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return timed(step, req['warmup'], req['reps'])


WORKLOADS = {'autograd_tiny': autograd_tiny, 'mlp_step': mlp_step}


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
            times = WORKLOADS[req['workload']](req)
            print(json.dumps({'times': times}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({'error': repr(e)}), flush=True)


if __name__ == '__main__':
    main()
