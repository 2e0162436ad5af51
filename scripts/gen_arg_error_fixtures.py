#!/usr/bin/env python3
"""Writes test/fixtures/arg_errors.json from Debian's python3-torch: PyTorch's own messages for bad arguments of the
layers, initialisers and random draws that torchlet checks in the same words (test/nn/arg_checks.test.ts)."""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the message is the fixture
        return f'{type(e).__name__}: {e}'
    raise AssertionError('expected an error')


CASES = {
    'dropoutP': lambda: nn.Dropout(1.5),
    'dropout2dP': lambda: nn.Dropout2d(-0.5),
    'groupNormDivisible': lambda: nn.GroupNorm(3, 4),
    'calculateGain': lambda: nn.init.calculate_gain('bogus'),
    'kaimingMode': lambda: nn.init.kaiming_uniform_(torch.zeros(2, 3), mode='bogus'),
    'fanIn1d': lambda: nn.init.xavier_uniform_(torch.zeros(3)),
    'uniformRange': lambda: torch.zeros(3).uniform_(2, 1),
    'bernoulliP': lambda: torch.zeros(3).bernoulli_(1.5),
    'randpermNegative': lambda: torch.randperm(-1),
    'dataLoaderBatch': lambda: torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(3)), batch_size=0),
    'bilinearIn1': lambda: nn.Bilinear(3, 2, 4)(torch.zeros(5, 4), torch.zeros(5, 2)),
    'bilinearIn2': lambda: nn.Bilinear(3, 2, 4)(torch.zeros(5, 3), torch.zeros(5, 3)),
    'bilinearBatch': lambda: nn.Bilinear(3, 2, 4)(torch.zeros(5, 3), torch.zeros(4, 2)),
    'bilinearDims': lambda: nn.Bilinear(3, 2, 4)(torch.zeros(5, 3), torch.zeros(1, 5, 2)),
    'geluApproximate': lambda: nn.GELU('bogus')(torch.zeros(2)),
    'sizeDim': lambda: torch.zeros(2, 3).size(2),
}

if __name__ == '__main__':
    with open(os.path.join(OUT, 'arg_errors.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'errors': {k: err(c) for k, c in CASES.items()}}, f, indent=1)
        f.write('\n')
