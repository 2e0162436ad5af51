"""PyTorch side of bench/sequence.js: the same recurrent and attention workloads, built from the same request."""
import torch
import torch.nn as nn


def make(req):
    """(model, inputs, is_training) for one sequence workload; sizes come from the request."""
    torch.manual_seed(0)
    kind, s = req['kind'], req['sizes']
    if kind in ('lstm', 'gru'):
        cls = nn.LSTM if kind == 'lstm' else nn.GRU
        model = cls(s['input'], s['hidden'], num_layers=s['layers'])
        return model, [torch.randn(s['seq'], s['batch'], s['input'])], True
    if kind == 'transformer':
        layer = nn.TransformerEncoderLayer(s['dModel'], s['heads'], dim_feedforward=s['ff'])
        model = nn.TransformerEncoder(layer, s['layers'])
        return model, [torch.randn(s['seq'], s['batch'], s['dModel'])], True
    if kind == 'mha':
        model = nn.MultiheadAttention(s['dModel'], s['heads'])
        x = torch.randn(s['seq'], s['batch'], s['dModel'])
        return model, [x, x, x], False
    raise ValueError(f'unknown sequence workload {kind}')


def output_of(y):
    return y[0] if isinstance(y, tuple) else y


def sequence(req, timed):
    """Per-repetition milliseconds: a training step (forward, mean-square loss, backward, SGD) or a forward."""
    model, inputs, training = make(req)
    if training:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad()
            output_of(model(*inputs)).square().mean().backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(*inputs)
    return timed(step, req['warmup'], req['reps'])


def sequence_peak(req, timed):
    """Peak RSS in bytes of this (fresh) process after `steps` repetitions of the workload."""
    sequence(dict(req, warmup=0, reps=req['steps']), timed)
    return peak_rss()


def peak_rss():
    """This process's peak RSS in bytes: VmHWM, its own address space's high-water mark (ru_maxrss survives exec,
    so a child of a large benchmark process would report its parent's size)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
