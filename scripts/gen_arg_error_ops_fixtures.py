#!/usr/bin/env python3
"""Writes test/fixtures/arg_errors_ops.json from Debian's python3-torch: PyTorch's own messages for bad arguments of
the creation, movement and reduction ops that torchlet checks in the same words (test/robustness/arg_checks_ops.test.ts)."""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the message is the fixture
        return str(e).split('\n')[0]
    raise AssertionError('expected an error')


CASES = {
    'sumToSizeNotExpandable': lambda: torch.zeros(2, 3).sum_to_size(3, 3),
    'sumToSizeTooLong': lambda: torch.zeros(2, 3).sum_to_size(1, 2, 3),
    'arangeInfinite': lambda: torch.arange(0, float('inf')),
    'chunkZero': lambda: torch.zeros(4).chunk(0),
    'splitNegative': lambda: torch.zeros(4).split(-1),
}

if __name__ == '__main__':
    with open(os.path.join(OUT, 'arg_errors_ops.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'errors': {k: err(v) for k, v in CASES.items()}}, f, indent=1)
        f.write('\n')
