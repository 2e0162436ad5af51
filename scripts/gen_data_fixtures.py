#!/usr/bin/env python3
"""Writes test/fixtures/data.json from Debian's python3-torch: torch.utils.data's index streams (samplers,
random_split, DataLoader batches over epochs, with and without generators), the draws they leave behind, the int64
seed draw, multinomial, default_collate results, worker seeds, and the DataLoader's option errors."""
import json
import os

import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler,
                              SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                              get_worker_info, random_split)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_num_threads(1)
SEEDS = [0, 7, 42]


def after(g=None):
    """Three draws after the stream under test, so a test sees how many numbers it consumed."""
    return torch.randint(0, 1000, (3,), generator=g).tolist()


def enc(v):
    if isinstance(v, torch.Tensor):
        dtype = {torch.int64: 'int32', torch.float64: 'float64', torch.float32: 'float32', torch.bool: 'bool'}[v.dtype]
        return {'tensor': {'dtype': dtype, 'shape': list(v.shape), 'data': v.flatten().tolist()}}
    if isinstance(v, dict):
        return {'dict': {k: enc(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return {'list': [enc(x) for x in v]}
    return {'value': v}


class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class Seeds(Dataset):
    """Item i: i, the worker id, the worker seed, and a draw of the worker's global generator."""

    def __getitem__(self, i):
        info = get_worker_info()
        return [i, info.id if info else -1, str(info.seed) if info else '', int(torch.randint(0, 1000, ()).item())]

    def __len__(self):
        return 12


def samplers():
    out = []
    for s in SEEDS:
        def gen():
            return torch.Generator().manual_seed(s)

        def rec(name, make, global_gen=False, epochs=2):
            torch.manual_seed(s)
            g = None if global_gen else gen()
            sampler = make(g)
            streams = [list(sampler) for _ in range(epochs)]
            out.append({'seed': s, 'name': name, 'streams': streams, 'length': len(sampler), 'after': after(g)})

        rec('sequential', lambda g: SequentialSampler(range(7)), global_gen=True)
        rec('random', lambda g: RandomSampler(range(10)), global_gen=True)
        rec('random_gen', lambda g: RandomSampler(range(10), generator=g))
        rec('random_replacement', lambda g: RandomSampler(range(10), replacement=True, num_samples=70, generator=g))
        rec('random_replacement_global', lambda g: RandomSampler(range(9), replacement=True), global_gen=True)
        rec('random_num_samples', lambda g: RandomSampler(range(10), num_samples=25, generator=g))
        rec('random_num_samples_exact', lambda g: RandomSampler(range(5), num_samples=10, generator=g))
        rec('subset_random', lambda g: SubsetRandomSampler([3, 8, 1, 9, 4], generator=g))
        rec('subset_random_global', lambda g: SubsetRandomSampler([3, 8, 1, 9, 4]), global_gen=True)
        rec('weighted', lambda g: WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 20, generator=g))
        rec('weighted_no_replacement', lambda g: WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False, generator=g))
        rec('weighted_global', lambda g: WeightedRandomSampler([1, 2, 3, 4], 7), global_gen=True)
        rec('batch', lambda g: BatchSampler(RandomSampler(range(10), generator=g), 3, False))
        rec('batch_drop_last', lambda g: BatchSampler(RandomSampler(range(10), generator=g), 3, True))
    return out


def int64_seeds():
    out = []
    for s in SEEDS + [12345, 2**40 + 3]:
        torch.manual_seed(s)
        draws = [str(torch.empty((), dtype=torch.int64).random_().item()) for _ in range(3)]
        out.append({'seed': s, 'draws': draws, 'after': after()})
    return out


def multinomials():
    out = []
    weights = [[0.1, 0.9, 0.4, 0.7, 3.0, 0.6], [[1.0, 2.0, 0.5], [0.25, 0.0, 4.0]]]
    for s in SEEDS:
        for w in weights:
            for dtype in [torch.float64, torch.float32]:
                for n, replacement in [(1, False), (1, True), (3, False), (12, True)]:
                    t = torch.tensor(w, dtype=dtype)
                    if not replacement and n > t.shape[-1]:
                        continue
                    if not replacement and t.dim() == 2 and n == 3:
                        continue  # a zero weight would tie in the top-k
                    torch.manual_seed(s)
                    r = torch.multinomial(t, n, replacement)
                    out.append({'seed': s, 'weights': w, 'dtype': 'float64' if dtype == torch.float64 else 'float32',
                                'n': n, 'replacement': replacement, 'result': r.tolist(), 'after': after()})
    return out


def splits():
    out = []
    for s in SEEDS:
        for n, lengths in [(10, [3, 7]), (30, [0.3, 0.3, 0.4]), (5, [0.5, 0.5]), (11, [0.2, 0.2, 0.2, 0.2, 0.2]), (4, [4, 0])]:
            for use_gen in [True, False]:
                torch.manual_seed(s)
                g = torch.Generator().manual_seed(s) if use_gen else None
                parts = random_split(range(n), lengths, generator=g) if use_gen else random_split(range(n), lengths)
                out.append({'seed': s, 'n': n, 'lengths': lengths, 'generator': use_gen,
                            'parts': [list(p.indices) for p in parts], 'after': after(g)})
    return out


def loaders():
    out = []
    grid = [
        ('batch3', dict(batch_size=3)),
        ('batch3_shuffle', dict(batch_size=3, shuffle=True)),
        ('batch3_shuffle_drop_last', dict(batch_size=3, shuffle=True, drop_last=True)),
        ('batch4_shuffle_gen', dict(batch_size=4, shuffle=True, generator='gen')),
        ('no_batch_shuffle', dict(batch_size=None, shuffle=True)),
        ('sampler_replacement', dict(batch_size=5, sampler='replacement')),
        ('batch_sampler', dict(batch_sampler='batch_sampler')),
        ('default', dict()),
    ]
    for s in SEEDS:
        for name, opts in grid:
            torch.manual_seed(s)
            kw = dict(opts)
            g = torch.Generator().manual_seed(s + 1) if kw.get('generator') == 'gen' else None
            if g is not None:
                kw['generator'] = g
            if kw.get('sampler') == 'replacement':
                kw['sampler'] = RandomSampler(range(10), replacement=True, num_samples=12)
            if kw.get('batch_sampler') == 'batch_sampler':
                kw['batch_sampler'] = BatchSampler(RandomSampler(range(10)), 4, False)
            loader = DataLoader(Range(10), **kw)
            epochs = [[b.tolist() if isinstance(b, torch.Tensor) else b for b in loader] for _ in range(2)]
            out.append({'seed': s, 'name': name, 'epochs': epochs, 'length': len(loader), 'after': after(g), 'afterGlobal': after() if g is not None else None})
        # An iterable dataset: batches of its stream.
        torch.manual_seed(s)
        loader = DataLoader(Count(7), batch_size=3)
        out.append({'seed': s, 'name': 'iterable_batch3', 'epochs': [[b.tolist() for b in loader] for _ in range(2)], 'length': None, 'after': after(), 'afterGlobal': None})
    return out


def workers():
    """Worker seeds (base seed + id) and the worker's global stream, with batches dealt round-robin."""
    out = []
    for s in SEEDS:
        for shuffle in [False, True]:
            for persistent in [False, True]:
                torch.manual_seed(s)
                loader = DataLoader(Seeds(), batch_size=2, shuffle=shuffle, num_workers=2, persistent_workers=persistent)
                epochs = []
                for _ in range(2):
                    epochs.append([[b[0].tolist(), b[1].tolist(), list(b[2]), b[3].tolist()] for b in loader])
                out.append({'seed': s, 'shuffle': shuffle, 'persistent': persistent, 'epochs': epochs, 'after': after()})
    return out


def collates():
    out = []
    cases = [
        ('ints', [0, 1, 2, 3]),
        ('floats', [0.5, 1.5, -2.25]),
        ('bools', [True, False, True]),
        ('strings', ['a', 'bc']),
        ('dicts', [{'A': 0, 'B': 1.5}, {'A': 100, 'B': 2.5}]),
        ('tuples', [(0, 'a'), (2, 'b')]),
        ('lists', [[0, 1], [2, 3]]),
        ('nested', [{'x': [1, 2.5], 'y': {'z': 3}}, {'x': [4, 5.5], 'y': {'z': 6}}]),
        ('tensors', [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[5.0, 6.0], [7.0, 8.0]])]),
        ('tensor_tuples', [(torch.tensor([1.0, 2.0]), 0), (torch.tensor([3.0, 4.0]), 1)]),
    ]
    for name, batch in cases:
        out.append({'name': name, 'batch': enc(batch), 'result': enc(default_collate(batch))})
    errors = []
    for name, batch in [('unequal', [[0, 1], [2]]), ('none', [None, None]), ('stack', [torch.zeros(2), torch.zeros(3)])]:
        try:
            default_collate(batch)
        except Exception as e:
            errors.append({'name': name, 'type': type(e).__name__, 'message': str(e)})
    return out, errors


def option_errors():
    out = []
    cases = [
        ('num_workers', dict(num_workers=-1)),
        ('prefetch_factor', dict(prefetch_factor=3)),
        ('persistent_workers', dict(persistent_workers=True)),
        ('sampler_shuffle', dict(sampler=SequentialSampler(range(4)), shuffle=True)),
        ('batch_sampler_batch_size', dict(batch_sampler=BatchSampler(SequentialSampler(range(4)), 2, False), batch_size=2)),
        ('batch_sampler_drop_last', dict(batch_sampler=BatchSampler(SequentialSampler(range(4)), 2, False), drop_last=True)),
        ('batch_size_none_drop_last', dict(batch_size=None, drop_last=True)),
        ('batch_size_zero', dict(batch_size=0)),
        ('batch_size_negative', dict(batch_size=-2)),
    ]
    for name, kw in cases:
        try:
            DataLoader(Range(4), **kw)
        except Exception as e:
            out.append({'name': name, 'type': type(e).__name__, 'message': str(e)})
    for name, kw in [('iterable_shuffle', dict(shuffle=True))]:
        try:
            DataLoader(Count(4), **kw)
        except Exception as e:
            out.append({'name': name, 'type': type(e).__name__, 'message': str(e)})
    for name, make in [('random_num_samples', lambda: RandomSampler(range(4), num_samples=0)),
                       ('weighted_num_samples', lambda: WeightedRandomSampler([1.0, 2.0], 0)),
                       ('batch_sampler_size', lambda: BatchSampler(SequentialSampler(range(4)), 0, False))]:
        try:
            make()
        except Exception as e:
            out.append({'name': name, 'type': type(e).__name__, 'message': str(e)})
    return out


if __name__ == '__main__':
    collate_cases, collate_errors = collates()
    payload = {
        'torch': torch.__version__,
        'int64Seeds': int64_seeds(),
        'samplers': samplers(),
        'multinomial': multinomials(),
        'splits': splits(),
        'loaders': loaders(),
        'workers': workers(),
        'collate': collate_cases,
        'collateErrors': collate_errors,
        'optionErrors': option_errors(),
    }
    with open(os.path.join(OUT, 'data.json'), 'w') as f:
        json.dump(payload, f, separators=(',', ':'))
