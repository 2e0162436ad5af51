#!/usr/bin/env python3
"""Writes test/fixtures/rnn.json (and test/fixtures/pt/rnn_lstm.pt) from Debian's python3-torch: the recurrent
layers and cells of torch.nn, seeded: initial parameters (bit-exact), outputs, final states and the gradients of
the input, the initial states and every parameter, for padded, batch-first, bidirectional, multi-layer, biasless,
projected, unbatched and packed input; inter-layer dropout; and PyTorch's error messages for wrong shapes.
Run: /usr/bin/python3 scripts/gen_rnn_fixtures.py"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from gen_fixtures import OUT, dump_tensor

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(13)


def randn(*s, dtype=torch.float32):
    return torch.randn(*s, generator=gen).to(dtype)


KINDS = {'RNN': nn.RNN, 'LSTM': nn.LSTM, 'GRU': nn.GRU, 'RNNCell': nn.RNNCell, 'LSTMCell': nn.LSTMCell, 'GRUCell': nn.GRUCell}


def build(kind, args, opts, seed, dtype):
    torch.manual_seed(seed)
    kw = {}
    for js, py in [('numLayers', 'num_layers'), ('bias', 'bias'), ('batchFirst', 'batch_first'), ('dropout', 'dropout'),
                   ('bidirectional', 'bidirectional'), ('projSize', 'proj_size'), ('nonlinearity', 'nonlinearity')]:
        if js in opts:
            kw[py] = opts[js]
    m = KINDS[kind](*args, **kw)
    return m.to(dtype)


def state(m):
    return {k: dump_tensor(v) for k, v in m.state_dict().items()}


cases = []


def case(name, kind, args, opts=None, seed=0, in_shape=(5, 3, 4), hx=False, packed=None, dtype=torch.float32,
         train_seed=None, upstream='all'):
    """packed: (lengths, enforce_sorted), the input being padded [T, B, *] (or [B, T, *] with batchFirst). upstream:
    which results the loss reads: 'all', 'out' (the output only) or 'final' (the final states only)."""
    opts = opts or {}
    m = build(kind, args, opts, seed, dtype)
    c = {'name': name, 'kind': kind, 'args': list(args), 'options': opts, 'seed': seed,
         'dtype': 'float64' if dtype == torch.float64 else 'float32', 'state': state(m)}
    x = randn(*in_shape, dtype=dtype)
    c['input'] = dump_tensor(x)
    x.requires_grad_(True)
    cell = kind.endswith('Cell')
    lstm = kind.startswith('LSTM')
    h0 = c0 = None
    if hx:
        if cell:
            hshape = (in_shape[0], args[1]) if len(in_shape) == 2 else (args[1],)
            cshape = hshape
        else:
            d = 2 if opts.get('bidirectional') else 1
            layers = opts.get('numLayers', 1)
            hsize = opts.get('projSize', 0) or args[1]
            if packed is not None:
                batch = len(packed[0])
            elif len(in_shape) == 3:
                batch = in_shape[0] if opts.get('batchFirst') else in_shape[1]
            else:
                batch = None
            hshape = (layers * d, batch, hsize) if batch is not None else (layers * d, hsize)
            cshape = (layers * d, batch, args[1]) if batch is not None else (layers * d, args[1])
        h0 = randn(*hshape, dtype=dtype)
        c['h0'] = dump_tensor(h0)
        h0.requires_grad_(True)
        if lstm:
            c0 = randn(*cshape, dtype=dtype)
            c['c0'] = dump_tensor(c0)
            c0.requires_grad_(True)
    hx_arg = None if h0 is None else ((h0, c0) if lstm else h0)
    inp = x
    if packed is not None:
        lengths, enforce = packed
        c['packed'] = {'lengths': lengths, 'enforceSorted': enforce}
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=opts.get('batchFirst', False), enforce_sorted=enforce)
    if train_seed is not None:
        c['trainSeed'] = train_seed
        torch.manual_seed(train_seed)
    else:
        m.eval()
    res = m(inp) if hx_arg is None else m(inp, hx_arg)
    if cell:
        out, h_n, c_n = (res[0], None, res[1]) if lstm else (res, None, None)
    else:
        out, hid = res
        h_n, c_n = hid if lstm else (hid, None)
    if packed is not None:
        out = out.data
    c['out'] = dump_tensor(out)
    g_out = randn(*out.shape, dtype=dtype)
    if upstream == 'final':
        g_out.zero_()
    c['upstream'] = upstream
    c['gOut'] = dump_tensor(g_out)
    loss = (out * g_out).sum()
    if upstream == 'out':
        h_n = c_n = None
    if h_n is not None:
        c['hN'] = dump_tensor(h_n)
        g_h = randn(*h_n.shape, dtype=dtype)
        c['gHN'] = dump_tensor(g_h)
        loss = loss + (h_n * g_h).sum()
    if c_n is not None:
        c['cN'] = dump_tensor(c_n)
        g_c = randn(*c_n.shape, dtype=dtype)
        c['gCN'] = dump_tensor(g_c)
        loss = loss + (c_n * g_c).sum()
    loss.backward()
    c['grads'] = {'input': dump_tensor(x.grad)}
    if h0 is not None:
        c['grads']['h0'] = dump_tensor(h0.grad)
    if c0 is not None:
        c['grads']['c0'] = dump_tensor(c0.grad)
    c['grads']['params'] = {k: dump_tensor(p.grad) for k, p in m.named_parameters()}
    cases.append(c)
    return m


# ---- full-sequence layers --------------------------------------------------------------------------------------
for kind, extra in [('RNN', {}), ('RNN', {'nonlinearity': 'relu'}), ('LSTM', {}), ('GRU', {})]:
    tag = kind + (' relu' if extra else '')
    case(f'{tag} 1 layer', kind, (4, 6), dict(extra), seed=1)
    case(f'{tag} 1 layer with hx', kind, (4, 6), dict(extra), seed=2, hx=True)
    case(f'{tag} batchFirst', kind, (4, 6), dict(extra, batchFirst=True), seed=3, in_shape=(3, 5, 4), hx=True)
    case(f'{tag} 2 layers bidirectional', kind, (4, 5), dict(extra, numLayers=2, bidirectional=True), seed=4, hx=True)
    case(f'{tag} 3 layers no bias', kind, (4, 5), dict(extra, numLayers=3, bias=False), seed=5, hx=True)
    case(f'{tag} unbatched', kind, (4, 6), dict(extra), seed=6, in_shape=(5, 4), hx=True)
    case(f'{tag} unbatched batchFirst bidirectional', kind, (4, 3), dict(extra, batchFirst=True, bidirectional=True), seed=7, in_shape=(5, 4))
    case(f'{tag} packed sorted', kind, (4, 5), dict(extra), seed=8, in_shape=(5, 3, 4), hx=True, packed=([5, 3, 2], True))
    case(f'{tag} packed unsorted bidirectional 2 layers', kind, (4, 5), dict(extra, numLayers=2, bidirectional=True),
         seed=9, in_shape=(5, 4, 4), hx=True, packed=([2, 5, 1, 5], False))
    case(f'{tag} packed unsorted batchFirst', kind, (4, 5), dict(extra, batchFirst=True), seed=10, in_shape=(4, 5, 4),
         packed=([3, 1, 5, 2], False))
    case(f'{tag} float64 bidirectional', kind, (3, 4), dict(extra, bidirectional=True), seed=11, in_shape=(4, 2, 3),
         hx=True, dtype=torch.float64)

case('LSTM projSize', 'LSTM', (4, 6), {'projSize': 3}, seed=21, hx=True)
case('LSTM projSize 2 layers bidirectional batchFirst', 'LSTM', (4, 6), {'projSize': 2, 'numLayers': 2, 'bidirectional': True, 'batchFirst': True},
     seed=22, in_shape=(3, 5, 4), hx=True)
case('LSTM projSize no bias packed unsorted', 'LSTM', (4, 6), {'projSize': 3, 'bias': False, 'bidirectional': True},
     seed=23, in_shape=(4, 3, 4), hx=True, packed=([2, 4, 3], False))
case('LSTM projSize unbatched', 'LSTM', (4, 5), {'projSize': 2}, seed=24, in_shape=(6, 4))
case('LSTM projSize float64', 'LSTM', (3, 4), {'projSize': 2, 'numLayers': 2}, seed=25, in_shape=(3, 2, 3), hx=True, dtype=torch.float64)

# Dropout between layers, in training: PyTorch's CPU path draws F.dropout's mask per layer output.
case('LSTM dropout 3 layers', 'LSTM', (4, 5), {'numLayers': 3, 'dropout': 0.4}, seed=31, hx=True, train_seed=77)
case('GRU dropout bidirectional packed', 'GRU', (4, 5), {'numLayers': 2, 'dropout': 0.5, 'bidirectional': True}, seed=32,
     in_shape=(4, 3, 4), packed=([4, 2, 3], False), train_seed=78)
case('RNN dropout', 'RNN', (4, 5), {'numLayers': 2, 'dropout': 0.3}, seed=33, train_seed=79)

# Only some results reach the loss: the output alone, or the final states alone.
for kind in ['LSTM', 'GRU']:
    for upstream in ['out', 'final']:
        case(f'{kind} packed unsorted bidirectional 2 layers, loss of the {upstream} only', kind, (3, 4), {'numLayers': 2, 'bidirectional': True},
             seed=61, in_shape=(4, 3, 3), hx=True, packed=([2, 4, 3], False), upstream=upstream)
case('LSTM projSize, loss of the final states only', 'LSTM', (3, 4), {'projSize': 2}, seed=62, in_shape=(4, 2, 3), upstream='final')

# ---- cells -----------------------------------------------------------------------------------------------------
for kind, extra in [('RNNCell', {}), ('RNNCell', {'nonlinearity': 'relu'}), ('LSTMCell', {}), ('GRUCell', {})]:
    tag = kind + (' relu' if extra else '')
    def cell_args(bias=True):
        a = [4, 5, bias]
        if extra:
            a.append('relu')
        return tuple(a)
    case(f'{tag}', kind, cell_args(), {}, seed=41, in_shape=(3, 4))
    case(f'{tag} with hx', kind, cell_args(), {}, seed=42, in_shape=(3, 4), hx=True)
    case(f'{tag} no bias', kind, cell_args(False), {}, seed=43, in_shape=(3, 4), hx=True)
    case(f'{tag} unbatched', kind, cell_args(), {}, seed=44, in_shape=(4,), hx=True)
    case(f'{tag} float64', kind, cell_args(), {}, seed=45, in_shape=(2, 4), hx=True, dtype=torch.float64)

# ---- initialisation only (larger, several seeds) ---------------------------------------------------------------
inits = []
for kind, args, opts, seed in [
    ('LSTM', (10, 20), {'numLayers': 2, 'bidirectional': True}, 0),
    ('LSTM', (7, 16), {'projSize': 5, 'numLayers': 2}, 1),
    ('GRU', (3, 33), {'bias': False}, 2),
    ('RNN', (5, 9), {'numLayers': 3, 'nonlinearity': 'relu'}, 3),
    ('LSTMCell', (6, 11), {}, 4),
    ('GRUCell', (6, 11), {}, 5),
    ('RNNCell', (6, 11), {}, 6),
]:
    m = build(kind, args, opts, seed, torch.float32)
    inits.append({'kind': kind, 'args': list(args), 'options': opts, 'seed': seed, 'state': state(m),
                  'repr': repr(m)})

# ---- a state dict saved by PyTorch -----------------------------------------------------------------------------
torch.manual_seed(51)
saved = nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3, batch_first=True)
pt_path = os.path.join(OUT, 'pt', 'rnn_lstm.pt')
torch.save(saved.state_dict(), pt_path)
x = randn(2, 5, 4)
with torch.no_grad():
    out, (h, c) = saved(x)
saved_case = {'file': 'rnn_lstm.pt', 'args': [4, 6], 'options': {'numLayers': 2, 'bidirectional': True, 'projSize': 3, 'batchFirst': True},
              'input': dump_tensor(x), 'out': dump_tensor(out), 'hN': dump_tensor(h), 'cN': dump_tensor(c)}

# ---- errors ----------------------------------------------------------------------------------------------------
errors = []


def error(kind, args, opts, in_shape, hx_shapes=None, packed=None):
    m = build(kind, args, opts, 0, torch.float32)
    x = torch.zeros(*in_shape)
    hx = None
    if hx_shapes is not None:
        hs = [torch.zeros(*s) for s in hx_shapes]
        hx = tuple(hs) if len(hs) == 2 else hs[0]
    try:
        m(x) if hx is None else m(x, hx)
    except (RuntimeError, AssertionError, ValueError) as e:
        errors.append({'kind': kind, 'args': list(args), 'options': opts, 'input': list(in_shape),
                       'hx': hx_shapes, 'type': type(e).__name__, 'message': str(e).split('\n')[0]})
        return
    raise SystemExit(f'no error for {kind} {in_shape} {hx_shapes}')


error('RNN', (10, 20), {}, (5, 3, 5))
error('LSTM', (10, 20), {}, (5, 3, 5))
error('GRU', (10, 20), {'batchFirst': True}, (3, 5, 7))
error('RNN', (10, 20), {}, (5, 3, 10), [(2, 3, 20)])
error('GRU', (10, 20), {'bidirectional': True}, (5, 3, 10), [(2, 4, 20)])
error('LSTM', (10, 20), {}, (5, 3, 10), [(2, 3, 20), (1, 3, 20)])
error('LSTM', (10, 20), {}, (5, 3, 10), [(1, 3, 20), (1, 3, 21)])
error('LSTM', (10, 20), {'projSize': 5}, (5, 3, 10), [(1, 3, 20), (1, 3, 20)])
error('RNN', (10, 20), {}, (5, 3, 10), [(3, 20)])
error('RNN', (10, 20), {}, (5, 10), [(1, 3, 20)])
error('LSTM', (10, 20), {}, (5, 3, 10), [(3, 20), (3, 20)])
error('LSTM', (10, 20), {}, (5, 10), [(1, 1, 20), (1, 1, 20)])
error('GRU', (10, 20), {}, (2, 5, 3, 10))
error('RNNCell', (10, 20), {}, (3, 5))
error('LSTMCell', (10, 20), {}, (3, 10), [(2, 20), (2, 20)])
error('GRUCell', (10, 20), {}, (3, 10), [(3, 21)])
error('GRUCell', (10, 20), {}, (2, 3, 10))

ctor_errors = []
for kind, args, opts in [('LSTM', (4, 5), {'projSize': 5}), ('LSTM', (4, 5), {'projSize': -1}), ('RNN', (4, 5), {'dropout': 1.5}),
                         ('RNN', (4, 5), {'nonlinearity': 'sigmoid'}), ('GRU', (4, 5), {'projSize': 2})]:
    try:
        build(kind, args, opts, 0, torch.float32)
    except ValueError as e:
        ctor_errors.append({'kind': kind, 'args': list(args), 'options': opts, 'message': str(e)})

with open(os.path.join(OUT, 'rnn.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases, 'inits': inits, 'saved': saved_case, 'errors': errors,
               'ctorErrors': ctor_errors}, f)
print(f'rnn.json: {len(cases)} cases, {len(inits)} inits, {len(errors)} errors')
