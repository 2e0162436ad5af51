#!/usr/bin/python3
"""The piecewise polynomials of vmath.cpp's fast gelu (erf form), its gradient and softplus, as C++ tables.

On |x| <= 3.9375 the float lanes evaluate, on the interval of width 1/8 centred at k / 8 (k = round(8 |x|), 0..31):
  forward:  Phi(-a) = c0hi + c0lo + u (c1 + u (c2 + ... + u c5)),  a = |x|, u = a - k / 8 in [-1/16, 1/16]
  gradient: B(a) = Phi(-a) - a phi(a) = c0 + u (c1 + ... + u c5)  (gelu'(x) = B(a) for x < 0, 1 - B(a) for x >= 0)
and softplus (beta 1) on |x| < 15.5, on the interval of width 1 centred at k - 16 (k = round(x) + 16, 0..31):
  log1p(exp(x)) = c0hi + c0lo + u (c1 + ... + u c7),  u = x - (k - 16) in [-1/2, 1/2].
c0 is the value at the centre (as a float pair for the forward: its rounding alone would cost up to half an ulp),
c1.. c5 a weighted least-squares fit on 400 Chebyshev points of the interval, each coefficient rounded to float in
turn and the higher ones refitted to what the rounding left (relative error of the fit with exact c0 below 6e-9 for
the forward, 8e-9 for the gradient). The reference values come from PyTorch's float64 erfc and exp.
Run with /usr/bin/python3 (PyTorch 1.13); paste the output into native/src/kernels/vmath.cpp.
"""
import math

import numpy as np
import torch

S, N, K = 8, 5, 32


def phi_lower(a):
    return 0.5 * torch.erfc(torch.as_tensor(a, dtype=torch.float64) / math.sqrt(2))


def grad_b(a):
    a = torch.as_tensor(a, dtype=torch.float64)
    return phi_lower(a) - a * torch.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


def softplus(x):
    return torch.log1p(torch.exp(torch.as_tensor(x, dtype=torch.float64)))


def fit(f, centre, width, n, rel_floor):
    """The coefficients c0 (exact), c1..cn (float) on the interval of the centre and width, and the fit's error."""
    h = 0.5 * width
    m = 400
    u = h * np.cos(np.pi * (np.arange(m) + 0.5) / m)
    y = f(centre + u).numpy()
    w = 1 / np.maximum(np.abs(y), rel_floor)
    c = [float(f(torch.tensor(centre, dtype=torch.float64)))]
    for _ in range(1, n + 1):
        r = y - sum(c[j] * u**j for j in range(len(c)))
        a = np.stack([u**j for j in range(len(c), n + 1)], 1)
        c.append(float(np.float32(np.linalg.lstsq(a * w[:, None], r * w, rcond=None)[0][0])))
    err = np.max(np.abs(sum(c[j] * u**j for j in range(n + 1)) - y) * w)
    return c, err


def hexf(v):
    v = float(np.float32(v))
    if v == 0:
        return '0.0f'
    mant, exp = float.hex(v).split('p')
    return mant.rstrip('0').rstrip('.') + 'p' + exp + 'f'


def table(name, rows, comment):
    print(f'// {comment}')
    print(f'constexpr float {name}[{len(rows)}][{K}] = {{')
    for row in rows:
        cells = [hexf(v) for v in row]
        lines = []
        for i in range(0, K, 4):
            lines.append('     ' + ', '.join(cells[i:i + 4]))
        print('    {\n' + ',\n'.join(lines) + '},')
    print('};')


def main():
    fwd, bwd, sp, ef, eb, es = [], [], [], 0, 0, 0
    for k in range(K):
        c, e = fit(phi_lower, k / S, 1 / S, N, 0)
        ef = max(ef, e)
        hi = float(np.float32(c[0]))
        fwd.append([hi, c[0] - hi] + c[1:])
        c, e = fit(grad_b, k / S, 1 / S, N, 1e-4)
        eb = max(eb, e)
        bwd.append(c)
        c, e = fit(softplus, k - 16, 1, 7, 0)
        es = max(es, e)
        hi = float(np.float32(c[0]))
        sp.append([hi, c[0] - hi] + c[1:])
    fwd, bwd, sp = np.array(fwd).T, np.array(bwd).T, np.array(sp).T
    table('kFGeluP', fwd, f'Phi(-a): rows c0hi, c0lo, c1..c{N}; column k (relative fit error {ef:.1e})')
    table('kFGeluB', bwd, f'Phi(-a) - a phi(a): rows c0..c{N}; column k (fit error {eb:.1e} of max(|B|, 1e-4))')
    table('kFSoftplus', sp, f'log1p(exp(x)): rows c0hi, c0lo, c1..c7; column k (relative fit error {es:.1e})')


main()
