"""Writes test/fixtures/pt/: files PyTorch 1.13's torch.save writes (and safetensors files with every dtype code),
each with a JSON of the values a reader must find, for test/serialization/pt_fixtures.test.ts.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_pt_fixtures.py (npm run fixtures runs it too).
Deterministic: fixed seeds, and torch.save's archives carry no time stamps.
"""
import collections
import io
import json
import os
import struct
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pt')

# What torchlet loads each PyTorch dtype as.
TORCHLET = {torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float32', torch.bfloat16: 'float32',
            torch.int64: 'int32', torch.int32: 'int32', torch.int16: 'int32', torch.int8: 'int32', torch.uint8: 'int32',
            torch.bool: 'bool'}


def num(v):
    if isinstance(v, float):
        if v != v:
            return 'nan'
        if v in (float('inf'), float('-inf')):
            return 'inf' if v > 0 else '-inf'
    return v


def tj(t):
    """A tensor as the helpers' TensorJson: the dtype torchlet loads it as, its shape, its values."""
    vals = t.detach().to(torch.float64 if t.is_floating_point() else t.dtype).reshape(-1).tolist()
    return {'dtype': TORCHLET[t.dtype], 'shape': list(t.shape), 'data': [num(v) for v in vals],
            'stride': list(t.stride()), 'offset': t.storage_offset(), 'requiresGrad': t.requires_grad,
            'parameter': isinstance(t, torch.nn.Parameter)}


def save(name, obj, expected):
    torch.save(obj, os.path.join(OUT, name + '.pt'))
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump({'generator': 'scripts/gen_pt_fixtures.py', 'torch': torch.__version__, **expected}, f, separators=(',', ':'))


def model_fixture():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    m.train()
    m(torch.randn(5, 3))  # running statistics and num_batches_tracked move
    sd = m.state_dict()
    save('model', sd, {'keys': list(sd.keys()), 'tensors': {k: tj(v) for k, v in sd.items()}})


def optim_fixture(name, make, steps=3):
    """A checkpoint after `steps` steps, and the parameters after one more step on the same batch."""
    torch.manual_seed(1)
    m = torch.nn.Linear(3, 2)
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    opt = make(m.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(m(x), y).backward()
        opt.step()
        sched.step()

    for _ in range(steps):
        step()
    ckpt = {'model': m.state_dict(), 'opt': opt.state_dict(), 'sched': sched.state_dict(), 'epoch': steps, 'x': x, 'y': y}
    torch.save(ckpt, os.path.join(OUT, name + '.pt'))
    state = {str(k): {sk: (tj(sv) if torch.is_tensor(sv) else sv) for sk, sv in v.items()} for k, v in opt.state_dict()['state'].items()}
    groups = opt.state_dict()['param_groups']
    step()
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump({'generator': 'scripts/gen_pt_fixtures.py', 'torch': torch.__version__, 'state': state, 'param_groups': groups,
                   'sched': ckpt['sched'],
                   'after': {k: tj(v) for k, v in m.state_dict().items()}, 'lrAfter': opt.param_groups[0]['lr']}, f, separators=(',', ':'))


def mixed_fixture():
    torch.manual_seed(2)
    base = torch.randn(5, dtype=torch.float64) * 100
    tensors = collections.OrderedDict([
        ('f32', torch.randn(2, 3)),
        ('f64', base.clone()),
        ('f16', base.to(torch.float16)),
        ('bf16', base.to(torch.bfloat16)),
        ('i64', torch.tensor([-(2 ** 31), 2 ** 31 - 1, 0, -7], dtype=torch.int64)),
        ('i32', torch.tensor([-5, 6], dtype=torch.int32)),
        ('i16', torch.tensor([-300, 300], dtype=torch.int16)),
        ('i8', torch.tensor([-128, 127], dtype=torch.int8)),
        ('u8', torch.tensor([0, 255], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])),
        ('scalar', torch.tensor(3.5)),
        ('empty', torch.zeros(0, 3)),
        ('special', torch.tensor([float('nan'), float('inf'), -float('inf'), -0.0])),
        ('grad', torch.ones(2, requires_grad=True)),
        ('param', torch.nn.Parameter(torch.full((2,), 0.25))),
        ('frozen', torch.nn.Parameter(torch.full((1,), 2.0), requires_grad=False)),
    ])
    save('mixed', tensors, {'keys': list(tensors.keys()), 'tensors': {k: tj(v) for k, v in tensors.items()}})
    # The same tensors (those safetensors has codes for) in a safetensors file, written by hand from the raw bytes.
    codes = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
             torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
    header, blobs, at = {}, [], 0
    for k, t in tensors.items():
        t = t.detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[k] = {'dtype': codes[t.dtype], 'shape': list(t.shape), 'data_offsets': [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    with open(os.path.join(OUT, 'mixed.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text.encode() + b''.join(blobs))
    big = torch.tensor([1, 2 ** 32 + 5], dtype=torch.int64)
    save('int64_overflow', {'ok': torch.tensor([1, 2]), 'ids': big}, {'key': 'ids', 'value': 2 ** 32 + 5, 'index': 1})
    with open(os.path.join(OUT, 'int64_overflow.safetensors'), 'wb') as f:
        text = json.dumps({'ids': {'dtype': 'I64', 'shape': [2], 'data_offsets': [0, 16]}})
        text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
        f.write(struct.pack('<Q', len(text)) + text.encode() + big.numpy().tobytes())


def shared_fixture():
    torch.manual_seed(3)
    base = torch.randn(4, 6)
    views = collections.OrderedDict([
        ('base', base), ('t', base.t()), ('row', base[2]), ('col', base[:, 3]), ('strided', base[1:, ::2]),
        ('expanded', base[0, :1].expand(3, 5)), ('reshaped', base.view(2, 12)),
        ('other', torch.arange(6).view(2, 3)), ('other_t', None),
    ])
    views['other_t'] = views['other'].t()
    groups = [['base', 't', 'row', 'col', 'strided', 'expanded', 'reshaped'], ['other', 'other_t']]
    save('shared', views, {'keys': list(views.keys()), 'tensors': {k: tj(v) for k, v in views.items()}, 'groups': groups})


def nested_fixture():
    obj = {
        'list': [torch.tensor([1.0, 2.0]), 3, [4, [5.5]]],
        'tuple': (torch.tensor([7], dtype=torch.int64), 'eight', None),
        'scalars': {'int': 42, 'neg': -70000, 'big': 2 ** 40, 'huge': 2 ** 70, 'float': 0.1, 'true': True, 'false': False,
                    'none': None, 'str': 'héllo', 'empty': ''},
        'int_keys': {0: 'zero', 10: 'ten'},
        'tuple_keys': {(1, 2): 'pair', 3.5: 'float'},
        'ordered': collections.OrderedDict([('b', 1), ('a', 2)]),
        'empty': {'list': [], 'tuple': (), 'dict': {}},
    }
    shared = torch.tensor([9.0])
    obj['same'] = [shared, shared]
    torch.save(obj, os.path.join(OUT, 'nested.pt'))


def forbidden_fixtures():
    # A pickle that would run os.system('echo pwned') under plain pickle, in a zip laid out as torch.save's.
    code = b'\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.'
    for name, pkl in [('forbidden', code),
                      # builtins.eval through STACK_GLOBAL (protocol 4)
                      ('forbidden_stack_global', b'\x80\x04\x8c\x08builtins\x8c\x04eval\x93X\x01\x00\x00\x001\x85R.')]:
        with zipfile.ZipFile(os.path.join(OUT, name + '.pt'), 'w', compression=zipfile.ZIP_STORED) as z:
            for rec, data in [(f'{name}/data.pkl', pkl), (f'{name}/version', b'3\n')]:
                info = zipfile.ZipInfo(rec, date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, data)
    # The pre-1.6 format keys storages by memory address, so the legacy file holds no tensor (keeping it deterministic);
    # its first bytes, the pickled magic number, are what a reader must recognise.
    torch.save({'epoch': 1, 'lr': 0.5}, os.path.join(OUT, 'legacy.pt'), _use_new_zipfile_serialization=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float32)  # npm run fixtures runs this after other generators
    model_fixture()
    optim_fixture('optim_sgd', lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01))
    optim_fixture('optim_adam', lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.9)))
    mixed_fixture()
    shared_fixture()
    nested_fixture()
    forbidden_fixtures()
    print('pt fixtures:', len(os.listdir(OUT)), 'files,', sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT)), 'bytes')


if __name__ == '__main__':
    main()
