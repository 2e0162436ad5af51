#!/usr/bin/env python3
"""Writes test/fixtures/attn.json and test/fixtures/pt/attn_transformer.pt from Debian's python3-torch (1.13):
nn.MultiheadAttention and the Transformer layers (initial bits under a seed, outputs and gradients of inputs and
parameters in train, eval and eval-without-grad (PyTorch's fast paths) modes, seeded dropout), PyTorch's error
messages, and F.scaled_dot_product_attention cases. PyTorch 1.13 has no public scaled_dot_product_attention: those
fixtures come from the explicit reference softmax(Q K^T * scale + mask) V of PyTorch 2.x's documentation, computed
here with 1.13's ops. Run: /usr/bin/python3 scripts/gen_attn_fixtures.py"""
import json
import math
import os
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_fixtures import OUT, dump_tensor

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(13)


def randn(*s):
    return torch.randn(*s, generator=gen)


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


def snake_opts(opts):
    return {snake(k): v for k, v in opts.items()}


ACTIVATIONS = {'relu': 'relu', 'gelu': 'gelu', 'tanhFn': torch.tanh, 'GELUModule': nn.GELU()}
LAYER_KEYS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst']


def layer_kwargs(opts):
    kw = {snake(k): v for k, v in opts.items() if k in LAYER_KEYS}
    if 'activation' in kw:
        kw['activation'] = ACTIVATIONS[kw['activation']]
    return kw


def build(kind, args, opts):
    if kind == 'mha':
        return nn.MultiheadAttention(*args, **snake_opts(opts))
    if kind == 'encoderLayer':
        return nn.TransformerEncoderLayer(*args, **layer_kwargs(opts))
    if kind == 'decoderLayer':
        return nn.TransformerDecoderLayer(*args, **layer_kwargs(opts))
    if kind == 'encoder':
        layer = nn.TransformerEncoderLayer(args[0], args[1], **layer_kwargs(opts))
        norm = nn.LayerNorm(args[0]) if opts.get('finalNorm') else None
        return nn.TransformerEncoder(layer, args[2], norm=norm)
    if kind == 'decoder':
        layer = nn.TransformerDecoderLayer(args[0], args[1], **layer_kwargs(opts))
        norm = nn.LayerNorm(args[0]) if opts.get('finalNorm') else None
        return nn.TransformerDecoder(layer, args[2], norm=norm)
    if kind == 'transformer':
        kw = layer_kwargs(opts)
        for k in ['dModel', 'nhead', 'numEncoderLayers', 'numDecoderLayers']:
            if k in opts:
                kw[snake(k)] = opts[k]
        return nn.Transformer(**kw)
    raise ValueError(kind)


cases = []


def case(name, kind, args, opts, seed, inputs, call, kwargs=None, mode='train', fwd_seed=None, grad=True, default=None):
    """inputs: tensors; call: indices of the forward's positional tensors (one index twice = the same tensor);
    kwargs: the forward's keyword arguments by torchlet name (tensors or plain values); mode: 'train', 'eval' or
    'evalNoGrad' (eval under no_grad: PyTorch's fast paths)."""
    kwargs = kwargs or {}
    if default:
        torch.set_default_dtype(torch.float64)
    torch.manual_seed(seed)
    m = build(kind, args, opts)
    torch.set_default_dtype(torch.float32)
    init = {k: dump_tensor(v) for k, v in m.state_dict().items()}
    m.train(mode == 'train')
    xs = [x.clone().requires_grad_(grad and x.is_floating_point()) for x in inputs]
    kw = {snake(k): v for k, v in kwargs.items()}
    if fwd_seed is not None:
        torch.manual_seed(fwd_seed)
    if mode == 'evalNoGrad':
        with torch.no_grad():
            res = m(*[xs[i] for i in call], **kw)
    else:
        res = m(*[xs[i] for i in call], **kw)
    outs = list(res) if isinstance(res, tuple) else [res]
    entry = {
        'name': name, 'kind': kind, 'args': args, 'opts': opts, 'seed': seed, 'mode': mode, 'call': call,
        'inputs': [dump_tensor(x) for x in inputs],
        'kwargs': {k: (dump_tensor(v) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()},
        **({'default': default} if default else {}), 'init': init, 'outs': [dump_tensor(o) if o is not None else None for o in outs],
    }
    if fwd_seed is not None:
        entry['fwdSeed'] = fwd_seed
    if grad and mode != 'evalNoGrad':
        ups = [randn(*o.shape) if o is not None else None for o in outs]
        loss = sum((o * u).sum() for o, u in zip(outs, ups) if o is not None)
        loss.backward()
        entry['upstreams'] = [dump_tensor(u) if u is not None else None for u in ups]
        entry['inputGrads'] = [dump_tensor(x.grad) if x.grad is not None else None for x in xs]
        entry['paramGrads'] = {k: dump_tensor(p.grad) for k, p in m.named_parameters() if p.grad is not None}
    cases.append(entry)
    return m


E, H, L, S, N = 8, 2, 3, 5, 2


def bool_mask(*s, p=0.3):
    return torch.rand(*s, generator=gen) < p


# ---- MultiheadAttention -------------------------------------------------------------------------------------------
q, kv = randn(L, N, E), randn(S, N, E)
case('self-attention', 'mha', [E, H], {}, 0, [q], [0, 0, 0])
case('self-attention batchFirst', 'mha', [E, H], {'batchFirst': True}, 1, [q.transpose(0, 1).contiguous()], [0, 0, 0])
case('encoder-decoder (key is value)', 'mha', [E, H], {}, 2, [q, kv], [0, 1, 1])
case('encoder-decoder batchFirst', 'mha', [E, H], {'batchFirst': True}, 2, [q.transpose(0, 1).contiguous(), kv.transpose(0, 1).contiguous()], [0, 1, 1])
case('distinct key and value', 'mha', [E, H], {}, 3, [q, kv, randn(S, N, E)], [0, 1, 2])
case('kdim and vdim', 'mha', [E, H], {'kdim': 6, 'vdim': 4}, 4, [q, randn(S, N, 6), randn(S, N, 4)], [0, 1, 2])
case('kdim and vdim batchFirst', 'mha', [E, H], {'kdim': 6, 'vdim': 4, 'batchFirst': True}, 4,
     [randn(N, L, E), randn(N, S, 6), randn(N, S, 4)], [0, 1, 2])
case('no bias', 'mha', [E, H], {'bias': False}, 5, [q, kv], [0, 1, 1])
case('addBiasKv', 'mha', [E, H], {'addBiasKv': True}, 6, [q, kv], [0, 1, 1])
case('addZeroAttn', 'mha', [E, H], {'addZeroAttn': True}, 7, [q, kv], [0, 1, 1])
case('addBiasKv and addZeroAttn with both masks', 'mha', [E, H], {'addBiasKv': True, 'addZeroAttn': True}, 8, [q, kv], [0, 1, 1],
     {'keyPaddingMask': torch.tensor([[False, False, False, True, True], [False, True, False, False, False]]),
      'attnMask': bool_mask(L, S)})
case('4 heads, averageAttnWeights false', 'mha', [E, 4], {}, 9, [q, kv], [0, 1, 1], {'averageAttnWeights': False})
case('needWeights false', 'mha', [E, H], {}, 10, [q, kv], [0, 1, 1], {'needWeights': False})
kpm = torch.tensor([[False, False, True, False, True], [False, False, False, False, True]])
case('keyPaddingMask bool', 'mha', [E, H], {}, 11, [q, kv], [0, 1, 1], {'keyPaddingMask': kpm})
case('keyPaddingMask float', 'mha', [E, H], {}, 11, [q, kv], [0, 1, 1], {'keyPaddingMask': randn(N, S)})
case('attnMask bool 2-D', 'mha', [E, H], {}, 12, [q, kv], [0, 1, 1], {'attnMask': torch.tensor(
    [[False, True, False, False, True], [False, False, False, True, False], [True, False, False, False, False]])})
case('attnMask float 2-D', 'mha', [E, H], {}, 12, [q, kv], [0, 1, 1], {'attnMask': randn(L, S)})
m3 = bool_mask(N * H, L, S)
m3[..., 0] = False
case('attnMask bool 3-D', 'mha', [E, H], {}, 13, [q, kv], [0, 1, 1], {'attnMask': m3})
case('attnMask float 3-D', 'mha', [E, H], {}, 13, [q, kv], [0, 1, 1], {'attnMask': randn(N * H, L, S)})
case('attnMask bool + keyPaddingMask bool', 'mha', [E, H], {}, 14, [q, kv], [0, 1, 1], {'attnMask': m3, 'keyPaddingMask': kpm})
case('attnMask float + keyPaddingMask bool', 'mha', [E, H], {}, 14, [q, kv], [0, 1, 1], {'attnMask': randn(L, S), 'keyPaddingMask': kpm})
case('unbatched', 'mha', [E, H], {}, 15, [randn(L, E), randn(S, E)], [0, 1, 1],
     {'keyPaddingMask': torch.tensor([False, True, False, False, False]), 'attnMask': randn(H, L, S)})
case('unbatched batchFirst (ignored)', 'mha', [E, H], {'batchFirst': True}, 15, [randn(L, E)], [0, 0, 0])
case('a fully masked row gives NaN', 'mha', [E, H], {}, 16, [q, kv], [0, 1, 1],
     {'keyPaddingMask': torch.tensor([[True] * S, [False] * S])}, grad=False)
case('eval', 'mha', [E, H], {'dropout': 0.2}, 17, [q, kv], [0, 1, 1], {'keyPaddingMask': kpm}, mode='eval')
case('eval, no grad, batchFirst self-attention (fast path)', 'mha', [E, H], {'batchFirst': True}, 18, [randn(N, L, E)], [0, 0, 0],
     {'keyPaddingMask': torch.tensor([[False, False, True], [False, False, False]])}, mode='evalNoGrad')
case('eval, no grad, need_weights false (fast path)', 'mha', [E, H], {'batchFirst': True}, 18, [randn(N, L, E)], [0, 0, 0],
     {'needWeights': False}, mode='evalNoGrad')
case('seeded dropout on the weights', 'mha', [E, H], {'dropout': 0.3}, 19, [q, kv], [0, 1, 1], fwd_seed=99)
case('float64', 'mha', [E, H], {}, 20, [q.double(), kv.double()], [0, 1, 1], {'attnMask': randn(L, S).double()}, default='float64')

# ---- encoder and decoder layers -------------------------------------------------------------------------------------
FF = 16
src, tgt = randn(S, N, E), randn(L, N, E)
src_b, tgt_b = src.transpose(0, 1).contiguous(), tgt.transpose(0, 1).contiguous()
skpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
causal_s = nn.Transformer.generate_square_subsequent_mask(S)
causal_t = nn.Transformer.generate_square_subsequent_mask(L)
for nf in [False, True]:
    for act in ['relu', 'gelu']:
        case(f'encoder layer normFirst {nf} {act}', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0, 'activation': act, 'normFirst': nf},
             30, [src], [0], {'srcMask': causal_s, 'srcKeyPaddingMask': skpm})
        case(f'decoder layer normFirst {nf} {act}', 'decoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0, 'activation': act, 'normFirst': nf},
             31, [tgt, src], [0, 1], {'tgtMask': causal_t, 'memoryKeyPaddingMask': skpm})
case('encoder layer batchFirst', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0, 'batchFirst': True}, 32, [src_b], [0],
     {'srcKeyPaddingMask': skpm})
case('encoder layer activation function, layerNormEps', 'encoderLayer', [E, H],
     {'dimFeedforward': FF, 'dropout': 0.0, 'activation': 'tanhFn', 'layerNormEps': 1e-3}, 33, [src], [0])
case('encoder layer activation module (GELU)', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0, 'activation': 'GELUModule'}, 33, [src], [0])
case('encoder layer default dropout, seeded', 'encoderLayer', [E, H], {'dimFeedforward': FF}, 34, [src], [0], fwd_seed=5)
case('encoder layer unbatched', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0}, 35, [randn(S, E)], [0],
     {'srcMask': causal_s})
case('encoder layer eval', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'batchFirst': True}, 36, [src_b], [0],
     {'srcKeyPaddingMask': skpm}, mode='eval')
for act in ['relu', 'gelu']:
    for nf in [False, True]:
        case(f'encoder layer eval no grad (fast path) {act} normFirst {nf}', 'encoderLayer', [E, H],
             {'dimFeedforward': FF, 'batchFirst': True, 'activation': act, 'normFirst': nf}, 37, [src_b], [0], {'srcKeyPaddingMask': skpm},
             mode='evalNoGrad')
case('encoder layer eval no grad (fast path) with src_mask', 'encoderLayer', [E, H], {'dimFeedforward': FF, 'batchFirst': True}, 37,
     [src_b], [0], {'srcMask': causal_s}, mode='evalNoGrad')
case('decoder layer batchFirst', 'decoderLayer', [E, H], {'dimFeedforward': FF, 'dropout': 0.0, 'batchFirst': True}, 38, [tgt_b, src_b], [0, 1],
     {'tgtMask': causal_t, 'tgtKeyPaddingMask': torch.tensor([[False, False, True], [False, False, False]]), 'memoryMask': randn(L, S)})
case('decoder layer default dropout, seeded', 'decoderLayer', [E, H], {'dimFeedforward': FF}, 39, [tgt, src], [0, 1], fwd_seed=6)

# ---- stacks and the whole model --------------------------------------------------------------------------------------
case('encoder 2 layers with final norm', 'encoder', [E, H, 2], {'dimFeedforward': FF, 'dropout': 0.0, 'finalNorm': True}, 40, [src], [0],
     {'mask': causal_s, 'srcKeyPaddingMask': skpm})
case('encoder 3 layers no norm, batchFirst normFirst', 'encoder', [E, H, 3], {'dimFeedforward': FF, 'dropout': 0.0, 'batchFirst': True, 'normFirst': True},
     41, [src_b], [0])
case('encoder eval no grad, padded (nested-tensor path)', 'encoder', [E, H, 2], {'dimFeedforward': FF, 'batchFirst': True, 'finalNorm': True}, 42,
     [src_b], [0], {'srcKeyPaddingMask': skpm}, mode='evalNoGrad')
case('encoder eval with grad, padded', 'encoder', [E, H, 2], {'dimFeedforward': FF, 'batchFirst': True, 'finalNorm': True}, 42,
     [src_b], [0], {'srcKeyPaddingMask': skpm}, mode='eval')
case('decoder 2 layers with final norm', 'decoder', [E, H, 2], {'dimFeedforward': FF, 'dropout': 0.0, 'finalNorm': True}, 43, [tgt, src], [0, 1],
     {'tgtMask': causal_t, 'memoryKeyPaddingMask': skpm})
case('transformer', 'transformer', [], {'dModel': E, 'nhead': H, 'numEncoderLayers': 2, 'numDecoderLayers': 2, 'dimFeedforward': FF, 'dropout': 0.0},
     50, [src, tgt], [0, 1], {'tgtMask': causal_t, 'srcKeyPaddingMask': skpm, 'memoryKeyPaddingMask': skpm})
case('transformer batchFirst normFirst gelu', 'transformer', [],
     {'dModel': E, 'nhead': H, 'numEncoderLayers': 1, 'numDecoderLayers': 2, 'dimFeedforward': FF, 'dropout': 0.0, 'batchFirst': True,
      'normFirst': True, 'activation': 'gelu'}, 51, [src_b, tgt_b], [0, 1], {'tgtMask': causal_t, 'srcMask': randn(S, S)})
case('transformer default dropout, seeded', 'transformer', [], {'dModel': E, 'nhead': H, 'numEncoderLayers': 1, 'numDecoderLayers': 1, 'dimFeedforward': FF},
     52, [src, tgt], [0, 1], fwd_seed=7)

# ---- a state dict saved by PyTorch ----------------------------------------------------------------------------------
torch.manual_seed(60)
saved = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0, batch_first=True)
with torch.no_grad():
    for p in saved.parameters():
        p.add_(torch.randn(p.shape, generator=gen) * 0.1)
saved.eval()
sd_src, sd_tgt = randn(N, S, E), randn(N, L, E)
sd_out = saved(sd_src, sd_tgt, tgt_mask=causal_t)
torch.save(saved.state_dict(), os.path.join(OUT, 'pt', 'attn_transformer.pt'))
state_dict_case = {'opts': {'dModel': E, 'nhead': H, 'numEncoderLayers': 2, 'numDecoderLayers': 1, 'dimFeedforward': FF, 'dropout': 0.0,
                            'batchFirst': True},
                   'keys': list(saved.state_dict().keys()), 'src': dump_tensor(sd_src), 'tgt': dump_tensor(sd_tgt), 'out': dump_tensor(sd_out)}

# ---- printouts -------------------------------------------------------------------------------------------------------
reprs = {'encoder': str(nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF), 2, norm=nn.LayerNorm(E))),
         'decoderLayer': str(nn.TransformerDecoderLayer(E, H, FF, activation='gelu')),
         'mha': str(nn.MultiheadAttention(E, H, add_bias_kv=True, kdim=4))}

# ---- errors (PyTorch's messages; the test compares them with torchlet's, shapes written alike) -----------------------
errors = []


def error_case(name, js_type, fn):
    try:
        fn()
    except (AssertionError, RuntimeError) as e:
        errors.append({'name': name, 'type': js_type, 'message': str(e).split('\n')[0]})
        return
    raise SystemExit(f'no error for {name}')


mha = nn.MultiheadAttention(E, H)
error_case('query of 4 dims', 'RangeError', lambda: mha(randn(1, L, N, E), kv, kv))
error_case('batched query, 2-D key', 'RangeError', lambda: mha(q, randn(S, E), randn(S, E)))
error_case('batched query, 1-D key padding mask', 'RangeError', lambda: mha(q, kv, kv, key_padding_mask=torch.zeros(S, dtype=torch.bool)))
error_case('batched query, 4-D attn_mask', 'RangeError', lambda: mha(q, kv, kv, attn_mask=torch.zeros(1, 1, L, S)))
error_case('unbatched query, 2-D key padding mask', 'RangeError', lambda: mha(randn(L, E), randn(S, E), randn(S, E), key_padding_mask=torch.zeros(1, S, dtype=torch.bool)))
error_case('unbatched query, 3-D attn_mask of the wrong shape', 'RangeError', lambda: mha(randn(L, E), randn(S, E), randn(S, E), attn_mask=torch.zeros(1, L, S)))
error_case('2-D attn_mask of the wrong shape', 'RangeError', lambda: mha(q, kv, kv, attn_mask=torch.zeros(L, S + 1)))
error_case('3-D attn_mask of the wrong shape', 'RangeError', lambda: mha(q, kv, kv, attn_mask=torch.zeros(N, L, S)))
error_case('key padding mask of the wrong shape', 'RangeError', lambda: mha(q, kv, kv, key_padding_mask=torch.zeros(N, S - 1, dtype=torch.bool)))
error_case('integer key padding mask', 'TypeError', lambda: mha(q, kv, kv, key_padding_mask=torch.zeros(N, S, dtype=torch.int64)))
error_case('embedding dim of the query', 'RangeError', lambda: mha(randn(L, N, E + 2), randn(S, N, E + 2), randn(S, N, E + 2)))
error_case('key and value shapes differ', 'RangeError', lambda: mha(q, kv, randn(S + 1, N, E)))
error_case('embed_dim not divisible by num_heads', 'RangeError', lambda: nn.MultiheadAttention(E, 3))
error_case('activation tanh by name', 'RangeError', lambda: nn.TransformerEncoderLayer(E, H, activation='tanh'))
tr = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF)
error_case('transformer batch sizes differ', 'RangeError', lambda: tr(randn(S, N, E), randn(L, N + 1, E)))
error_case('transformer feature size', 'RangeError', lambda: tr(randn(S, N, E), randn(L, N, E + 1)))
el = nn.TransformerEncoderLayer(E, H, FF)
error_case('encoder layer integer key padding mask', 'TypeError', lambda: el(src, src_key_padding_mask=torch.zeros(N, S, dtype=torch.int64)))

# ---- scaled dot product attention (reference computation: 1.13 has no public function) ---------------------------
sdpa = []


def sdpa_reference(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    L_, S_ = q.size(-2), k.size(-2)
    factor = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    bias = torch.zeros(L_, S_, dtype=q.dtype)
    if is_causal:
        bias = bias.masked_fill(torch.ones(L_, S_, dtype=torch.bool).tril().logical_not(), float('-inf'))
    if attn_mask is not None:
        bias = bias.masked_fill(attn_mask.logical_not(), float('-inf')) if attn_mask.dtype == torch.bool else bias + attn_mask
    w = torch.softmax(q @ k.transpose(-2, -1) * factor + bias, dim=-1)
    if dropout_p > 0:
        w = F.dropout(w, dropout_p, True)
    return w @ v


def sdpa_case(name, q, k, v, opts=None, seed=None, grad=True):
    opts = opts or {}
    xs = [t.clone().requires_grad_(grad) for t in (q, k, v)]
    mask = opts.get('attnMask')
    m = mask.clone().requires_grad_(grad) if mask is not None and mask.is_floating_point() else mask
    if seed is not None:
        torch.manual_seed(seed)
    out = sdpa_reference(*xs, attn_mask=m, dropout_p=opts.get('dropoutP', 0.0), is_causal=opts.get('isCausal', False), scale=opts.get('scale'))
    entry = {'name': name, 'inputs': [dump_tensor(t) for t in (q, k, v)],
             'opts': {k_: (dump_tensor(v_) if isinstance(v_, torch.Tensor) else v_) for k_, v_ in opts.items()}, 'out': dump_tensor(out)}
    if seed is not None:
        entry['seed'] = seed
    if grad:
        up = randn(*out.shape)
        out.backward(up)
        entry['upstream'] = dump_tensor(up)
        entry['grads'] = [dump_tensor(x.grad) for x in xs]
        if m is not None and m.is_floating_point():
            entry['maskGrad'] = dump_tensor(m.grad)
    sdpa.append(entry)


B, HH, D = 2, 3, 4
sdpa_case('4-D, no mask', randn(B, HH, L, D), randn(B, HH, S, D), randn(B, HH, S, 6))
sdpa_case('3-D, isCausal', randn(B, S, D), randn(B, S, D), randn(B, S, D), {'isCausal': True})
sdpa_case('isCausal with L < S (top-left aligned)', randn(B, L, D), randn(B, S, D), randn(B, S, D), {'isCausal': True})
bm = bool_mask(L, S, p=0.5)
bm[:, 0] = True
sdpa_case('bool mask (true takes part), broadcast over batch', randn(B, HH, L, D), randn(B, HH, S, D), randn(B, HH, S, D), {'attnMask': bm})
sdpa_case('float mask [B, 1, L, S] with its gradient', randn(B, HH, L, D), randn(B, HH, S, D), randn(B, HH, S, D), {'attnMask': randn(B, 1, L, S)})
sdpa_case('scale', randn(B, L, D), randn(B, S, D), randn(B, S, D), {'scale': 0.3})
sdpa_case('broadcast batch dims of key and value', randn(B, HH, L, D), randn(1, HH, S, D), randn(B, 1, S, D))
sdpa_case('2-D', randn(L, D), randn(S, D), randn(S, D))
sdpa_case('seeded dropout', randn(B, HH, L, D), randn(B, HH, S, D), randn(B, HH, S, D), {'dropoutP': 0.4}, seed=21)
sdpa_case('float64', randn(B, L, D).double(), randn(B, S, D).double(), randn(B, S, D).double(), {'attnMask': randn(L, S).double()})


# ---- intermediates big enough to be recycled (dtype.ts: 4 KiB and up; under 64 KiB, which jest fails to recycle) -
# Appended last: the draws before them stay the same.
xr = randn(24, 4, 16)
case('recycled intermediates, averaged weights', 'mha', [16, 4], {}, 50, [xr], [0, 0, 0], mode='evalNoGrad')
case('recycled intermediates, per-head weights', 'mha', [16, 4], {}, 50, [xr], [0, 0, 0], {'averageAttnWeights': False}, mode='evalNoGrad')
case('recycled intermediates, no weights', 'mha', [16, 4], {}, 50, [xr, randn(30, 4, 16)], [0, 1, 1], {'needWeights': False}, mode='evalNoGrad')


def shorten(obj):
    """float32 values written as the shortest decimal that reads back as the same float32 (half the bytes)."""
    if isinstance(obj, list):
        return [shorten(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if obj.get('dtype') == 'float32' and 'data' in obj:
        return {**obj, 'data': [float(repr(np.float32(x))) if isinstance(x, float) else x for x in obj['data']]}
    return {k: shorten(v) for k, v in obj.items()}


with open(os.path.join(OUT, 'attn.json'), 'w') as f:
    json.dump(shorten({'torch': torch.__version__, 'cases': cases, 'errors': errors, 'sdpa': sdpa, 'stateDict': state_dict_case, 'reprs': reprs}), f)
print('attn.json:', len(cases), 'module cases,', len(errors), 'errors,', len(sdpa), 'sdpa cases;',
      os.path.getsize(os.path.join(OUT, 'attn.json')), 'bytes')
