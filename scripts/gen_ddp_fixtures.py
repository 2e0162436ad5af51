#!/usr/bin/env python3
"""Writes the DDP fixtures from Debian's python3-torch 1.13 (run: npm run fixtures, or this file alone):
- ddp_hooks.json: when autograd runs a leaf's post-accumulate-grad hooks (1.13 spells them as post hooks on the
  leaf's AccumulateGrad node, as its DDP does) and what .grad they see; final callbacks queued from a hook.
- ddp_sampler.json: DistributedSampler's indices over sizes, worlds, ranks, epochs and options.
- ddp_buckets.json: dist._compute_bucket_assignment_by_size over parameter lists and size limits.
- ddp_train.json: DistributedDataParallel over Gloo with 2 ranks (processes started here with RANK, WORLD_SIZE,
  MASTER_ADDR and MASTER_PORT set by hand: torch.distributed.run crashes on this Python) training small models
  with DistributedSampler and SGD: initial weights per rank, sampler indices, losses per rank and step, final state.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import OUT, dump_tensor  # noqa: E402

torch.set_num_threads(1)
WORLD = 2


def state(module):
    return {k: dump_tensor(v) for k, v in module.state_dict().items()}


# ---- autograd hooks -------------------------------------------------------------------------------------------

def hook_all(named, events, accs):
    """Post hooks on each leaf's AccumulateGrad node: PyTorch 1.13's post-accumulate-grad hook."""
    for name, p in named:
        acc = p.expand_as(p).grad_fn.next_functions[0][0]
        accs.append(acc)  # the node lives only as long as something holds it

        def hook(*_, name=name, p=p):
            events.append({'name': name, 'grad': dump_tensor(p.grad)})
        acc.register_hook(hook)


def hook_cases():
    cases = []
    g = torch.Generator().manual_seed(3)

    # An MLP: the order in which the layers' leaves get their gradients.
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torch.randn(5, 3, generator=g)
    init = state(m)
    events, accs = [], []
    hook_all(m.named_parameters(), events, accs)
    m(x).pow(2).sum().backward()
    cases.append({'name': 'mlp', 'state': init, 'x': dump_tensor(x), 'events': events})

    # A leaf used three times: one call, after the sum of the three contributions is in .grad; a second backward
    # calls it again with the accumulated gradient. b is not reached by the second backward: no call.
    w = torch.randn(4, generator=g).requires_grad_()
    b = torch.randn(4, generator=g).requires_grad_()
    x = torch.randn(4, generator=g)
    events, accs = [], []
    hook_all([('w', w), ('b', b)], events, accs)
    ((w * x).sum() + (w * w).sum() + (w * b).exp().sum()).backward()
    events.append({'name': 'second backward'})
    (w * x).sum().backward()
    cases.append({'name': 'reused', 'w': dump_tensor(w), 'b': dump_tensor(b), 'x': dump_tensor(x), 'events': events})

    # A final callback queued by the first hook runs once, after every leaf's gradient is in place.
    a = torch.randn(3, generator=g).requires_grad_()
    c = torch.randn(3, generator=g).requires_grad_()
    events, accs = [], []
    queued = []

    def queue_once(*_):
        if not queued:
            queued.append(1)
            torch.autograd.Variable._execution_engine.queue_callback(
                lambda: events.append({'name': 'callback', 'a': dump_tensor(a.grad), 'c': dump_tensor(c.grad)}))
    hook_all([('a', a), ('c', c)], events, accs)
    for acc in accs:
        acc.register_hook(queue_once)
    (a.sin() * c).sum().backward()
    try:
        torch.autograd.Variable._execution_engine.queue_callback(lambda: None)
        outside = None
    except RuntimeError as e:
        outside = str(e)
    cases.append({'name': 'callback', 'a': dump_tensor(a), 'c': dump_tensor(c), 'events': events, 'outsideError': outside})
    return cases


# ---- DistributedSampler ---------------------------------------------------------------------------------------

class Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def sampler_cases():
    cases = []
    for n in [0, 1, 3, 10, 11, 17, 100]:
        for world in [1, 2, 3, 4]:
            for shuffle, seed, drop_last in [(True, 0, False), (False, 0, False), (True, 42, True), (False, 0, True)]:
                for rank in range(world):
                    s = DistributedSampler(Sized(n), num_replicas=world, rank=rank, shuffle=shuffle, seed=seed,
                                           drop_last=drop_last)
                    epochs = []
                    for epoch in [0, 1, 5]:
                        s.set_epoch(epoch)
                        epochs.append({'epoch': epoch, 'indices': list(iter(s))})
                    cases.append({'n': n, 'numReplicas': world, 'rank': rank, 'shuffle': shuffle, 'seed': seed,
                                  'dropLast': drop_last, 'length': len(s), 'epochs': epochs})
    errors = []
    for world, rank in [(2, 2), (2, -1), (3, 5)]:
        try:
            DistributedSampler(Sized(4), num_replicas=world, rank=rank)
        except ValueError as e:
            errors.append({'numReplicas': world, 'rank': rank, 'message': str(e)})
    return cases, errors


# ---- bucket assignment ----------------------------------------------------------------------------------------

def bucket_cases():
    cases = []
    specs = [
        ([100, 300, 50, 1000, 20], 'float32', [400, 1200]),
        ([100, 300, 50, 1000, 20], 'float32', [1 << 20, 25 << 20]),
        ([300000, 10, 262144, 5, 70000, 70000], 'float32', [1 << 20, 1 << 20]),
        ([8 * 32, 32, 32 * 16, 16, 16 * 3, 3], 'float32', [1024, 2097]),
        ([64, 64, 64, 64, 64], 'float32', [256, 512]),
        ([3, 4, 5], 'float32', [2 ** 63 - 1]),
    ]
    for sizes, _, limits in specs:
        tensors = [torch.zeros(n) for n in sizes]
        for order in [list(range(len(sizes))), list(reversed(range(len(sizes))))]:
            buckets, size_limits = dist._compute_bucket_assignment_by_size(
                [tensors[i] for i in order], limits, [False] * len(sizes), order if order[0] != 0 else [])
            cases.append({'numels': sizes, 'dtypes': ['float32'] * len(sizes), 'limits': limits,
                          'order': order if order[0] != 0 else None, 'buckets': buckets, 'sizeLimits': size_limits})
    # Mixed dtypes go to separate buckets.
    tensors = [torch.zeros(100), torch.zeros(100, dtype=torch.float64), torch.zeros(200), torch.zeros(60, dtype=torch.float64)]
    buckets, size_limits = dist._compute_bucket_assignment_by_size(tensors, [400, 800], [False] * 4, [])
    cases.append({'numels': [100, 100, 200, 60], 'dtypes': ['float32', 'float64', 'float32', 'float64'],
                  'limits': [400, 800], 'order': None, 'buckets': buckets, 'sizeLimits': size_limits})
    return cases


# ---- DDP training over Gloo, 2 ranks ---------------------------------------------------------------------------

N, FEATURES, CLASSES, PER_RANK_BATCH = 40, 8, 3, 4
SMALL_FIRST_BUCKET, SMALL_CAP_MB = 1024, 0.002


def dataset():
    g = torch.Generator().manual_seed(1234)
    return torch.randn(N, FEATURES, generator=g), torch.randint(0, CLASSES, (N,), generator=g)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, CLASSES)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Branchy(nn.Module):
    """fc_rank0 is used on rank 0 only (locally unused on rank 1); never is used by no rank."""
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 16)
        self.fc_rank0 = nn.Linear(16, 16)
        self.never = nn.Linear(16, 16)
        self.fc2 = nn.Linear(16, CLASSES)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        if dist.get_rank() == 0:
            h = F.relu(self.fc_rank0(h))
        return self.fc2(h)


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 16)
        self.bn = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, CLASSES)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


class Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 16)
        self.unused = nn.Linear(16, 16)
        self.fc2 = nn.Linear(16, CLASSES)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


MODELS = {'MLP': MLP, 'Branchy': Branchy, 'Normed': Normed, 'Unused': Unused}

# name: model, DDP options (torchlet spelling), epochs, micro-batches accumulated under noSync per step.
TRAIN_CASES = {
    'mlp': {'model': 'MLP', 'options': {}, 'epochs': 2, 'accumulate': 1},
    'mlpSmallBuckets': {'model': 'MLP', 'options': {'bucketCapMb': SMALL_CAP_MB}, 'firstBucketBytes': SMALL_FIRST_BUCKET,
                        'epochs': 2, 'accumulate': 1},
    'noSync': {'model': 'MLP', 'options': {'bucketCapMb': SMALL_CAP_MB}, 'firstBucketBytes': SMALL_FIRST_BUCKET,
               'epochs': 1, 'accumulate': 3},
    'findUnused': {'model': 'Branchy', 'options': {'findUnusedParameters': True}, 'epochs': 1, 'accumulate': 1},
    'batchNorm': {'model': 'Normed', 'options': {}, 'epochs': 1, 'accumulate': 1},
    'batchNormNoBroadcast': {'model': 'Normed', 'options': {'broadcastBuffers': False}, 'epochs': 1, 'accumulate': 1},
    'gradientAsBucketView': {'model': 'MLP', 'options': {'gradientAsBucketView': True, 'bucketCapMb': SMALL_CAP_MB},
                             'firstBucketBytes': SMALL_FIRST_BUCKET, 'epochs': 1, 'accumulate': 1},
}
PY_OPTION = {'bucketCapMb': 'bucket_cap_mb', 'findUnusedParameters': 'find_unused_parameters',
             'broadcastBuffers': 'broadcast_buffers', 'gradientAsBucketView': 'gradient_as_bucket_view'}
SAMPLER_SEED = 7
LR, MOMENTUM = 0.1, 0.9


def train_worker(name, rank):
    case = TRAIN_CASES[name]
    X, y = dataset()
    torch.manual_seed(100 + rank)  # the ranks start from different weights: DDP broadcasts rank 0's
    model = MODELS[case['model']]()
    initial = state(model)
    if 'firstBucketBytes' in case:
        dist._DEFAULT_FIRST_BUCKET_BYTES = case['firstBucketBytes']
    ddp = nn.parallel.DistributedDataParallel(model, **{PY_OPTION[k]: v for k, v in case['options'].items()})
    dist._DEFAULT_FIRST_BUCKET_BYTES = 1 << 20
    after_init = state(ddp.module)
    opt = torch.optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
    sampler = DistributedSampler(range(N), num_replicas=WORLD, rank=rank, shuffle=True, seed=SAMPLER_SEED)
    per_step = PER_RANK_BATCH * case['accumulate']
    out = {'initial': initial, 'afterInit': after_init, 'indices': [], 'losses': [], 'buckets': []}
    for epoch in range(case['epochs']):
        sampler.set_epoch(epoch)
        idx = list(iter(sampler))
        out['indices'].append(idx)
        for start in range(0, len(idx) - per_step + 1, per_step):
            opt.zero_grad()
            losses = []
            for k in range(case['accumulate']):
                batch = torch.tensor(idx[start + k * PER_RANK_BATCH:start + (k + 1) * PER_RANK_BATCH])
                last = k == case['accumulate'] - 1

                def micro():
                    loss = F.cross_entropy(ddp(X[batch]), y[batch])
                    loss.backward()
                    return loss.item()
                if last:
                    losses.append(micro())
                else:
                    with ddp.no_sync():
                        losses.append(micro())
            out['losses'].append(losses)
            out['buckets'].append(ddp._get_ddp_logging_data().get('rebuilt_bucket_sizes'))
            opt.step()
    out['final'] = state(ddp.module)
    out['stateDictKeys'] = list(ddp.state_dict().keys())
    out['gradIsNone'] = {n: p.grad is None for n, p in ddp.module.named_parameters()}
    return out


def unused_error_worker(rank):
    X, y = dataset()
    torch.manual_seed(100)
    ddp = nn.parallel.DistributedDataParallel(Unused())
    F.cross_entropy(ddp(X[:4]), y[:4]).backward()
    try:
        ddp(X[4:8])
        return {'message': None}
    except RuntimeError as e:
        return {'message': str(e)}


def worker(kind, name, rank, port, out_file):
    os.environ.update({'RANK': str(rank), 'WORLD_SIZE': str(WORLD), 'MASTER_ADDR': '127.0.0.1', 'MASTER_PORT': str(port)})
    dist.init_process_group('gloo', init_method='env://')
    result = train_worker(name, rank) if kind == 'train' else unused_error_worker(rank)
    dist.barrier()
    dist.destroy_process_group()
    with open(out_file, 'w') as f:
        json.dump(result, f)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_ranks(kind, name):
    """Runs one case in WORLD fresh processes; returns their results by rank."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        files = [os.path.join(tmp, f'rank{r}.json') for r in range(WORLD)]
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), '--worker', kind, name, str(r), str(port), files[r]])
                 for r in range(WORLD)]
        codes = [p.wait(timeout=300) for p in procs]
        if any(codes):
            raise SystemExit(f'gen_ddp_fixtures: {kind} {name} failed with exit codes {codes}')
        results = []
        for f in files:
            with open(f) as fh:
                results.append(json.load(fh))
        return results


def main():
    meta = {'generator': 'scripts/gen_ddp_fixtures.py', 'torch': torch.__version__, 'python': sys.version.split()[0]}
    os.makedirs(OUT, exist_ok=True)

    def write(fname, payload):
        with open(os.path.join(OUT, fname), 'w') as f:
            json.dump({**meta, **payload}, f, separators=(',', ':'))
        print(f'{fname}: written')

    write('ddp_hooks.json', {'cases': hook_cases()})
    sampler, sampler_errors = sampler_cases()
    write('ddp_sampler.json', {'cases': sampler, 'errors': sampler_errors})
    write('ddp_buckets.json', {'defaultFirstBucketBytes': dist._DEFAULT_FIRST_BUCKET_BYTES, 'cases': bucket_cases()})
    X, y = dataset()
    train = {'world': WORLD, 'features': FEATURES, 'classes': CLASSES, 'perRankBatch': PER_RANK_BATCH,
             'samplerSeed': SAMPLER_SEED, 'lr': LR, 'momentum': MOMENTUM, 'X': dump_tensor(X), 'y': dump_tensor(y),
             'cases': {name: {**TRAIN_CASES[name], 'ranks': run_ranks('train', name)} for name in TRAIN_CASES}}
    train['unusedError'] = [r['message'] for r in run_ranks('unused', 'Unused')]
    write('ddp_train.json', train)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        main()
