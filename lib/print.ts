/**
 * PyTorch's tensor printing (torch/_tensor_str.py): precision 4, threshold 1000, edgeitems 3, linewidth 80, and a
 * dtype suffix for dtypes other than the defaults. Attaches Tensor's toString and its Node inspect hook.
 */
import { Tensor } from './tensor';
import { getDefaultDtype, info, isFloating } from './dtype';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

/** Python's '{:.Nf}': like toFixed but ties go to even, on the exact binary value. */
function pyFixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 25));
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return s;
  // An exact tie: toFixed rounded away from zero; Python rounds to the even neighbour.
  const truncated = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  return s;
}

/** Python's '{:.Ne}': mantissa with N digits, exponent with sign and at least two digits. */
function pyExp(x: number, digits: number): string {
  const s = x.toExponential(digits);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyNumber(x: number, mode: 'sci' | 'int' | 'fixed'): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  let s: string;
  if (mode === 'sci') s = pyExp(Math.abs(x), PRECISION);
  else if (mode === 'int') s = pyFixed(Math.abs(x), 0);
  else s = pyFixed(Math.abs(x), PRECISION);
  return (neg ? '-' : '') + s;
}

class Formatter {
  private readonly floating: boolean;
  private intMode = true;
  private sciMode = false;
  width = 1;

  constructor(values: readonly number[], floating: boolean, bool: boolean) {
    this.floating = floating;
    if (!floating) {
      for (const v of values) this.width = Math.max(this.width, this.plain(v, bool).length);
      return;
    }
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return;
    const abs = finite.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.intMode = finite.every((v) => v === Math.ceil(v));
    if (this.intMode) {
      if (max / min > 1000 || max > 1e8) {
        this.sciMode = true;
        for (const v of finite) this.width = Math.max(this.width, pyNumber(v, 'sci').length);
      } else {
        for (const v of finite) this.width = Math.max(this.width, pyNumber(v, 'int').length + 1);
      }
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      this.sciMode = true;
      for (const v of finite) this.width = Math.max(this.width, pyNumber(v, 'sci').length);
    } else {
      for (const v of finite) this.width = Math.max(this.width, pyNumber(v, 'fixed').length);
    }
  }

  private plain(v: number, bool: boolean): string {
    return bool ? (v ? 'True' : 'False') : String(v);
  }

  format(v: number, bool: boolean): string {
    let s: string;
    if (!this.floating) s = this.plain(v, bool);
    else if (this.sciMode) s = pyNumber(v, 'sci');
    else if (this.intMode) s = pyNumber(v, 'int') + (Number.isFinite(v) ? '.' : '');
    else s = pyNumber(v, 'fixed');
    return s.padStart(this.width);
  }
}

/** Row-major values of x, or only its edges per dim when summarizing. */
function collect(x: Tensor, summarize: boolean): number[] {
  const out: number[] = [];
  const rec = (d: number, off: number): void => {
    if (d === x.dim()) {
      out.push(x.data[off]!);
      return;
    }
    const n = x.shape[d]!;
    const st = x.strides[d]!;
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) rec(d + 1, off + i * st);
      for (let i = n - EDGE; i < n; i++) rec(d + 1, off + i * st);
    } else {
      for (let i = 0; i < n; i++) rec(d + 1, off + i * st);
    }
  };
  rec(0, x.offset);
  return out;
}

function body(x: Tensor, indent: number, summarize: boolean, fmt: Formatter): string {
  const bool = x.dtype === 'bool';
  const val = (off: number): string => fmt.format(x.data[off]!, bool);
  const rec = (d: number, off: number, ind: number): string => {
    const n = x.shape[d]!;
    const st = x.strides[d]!;
    const skip = summarize && n > 2 * EDGE;
    const idx = skip ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    if (d === x.dim() - 1) {
      const elementLength = fmt.width + 2;
      const perLine = Math.max(1, Math.floor((LINEWIDTH - ind) / elementLength));
      const items = idx.map((i) => (i < 0 ? ' ...' : val(off + i * st)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return '[' + lines.join(',\n' + ' '.repeat(ind + 1)) + ']';
    }
    const rest = x.dim() - d;
    const slices = idx.map((i) => (i < 0 ? '...' : rec(d + 1, off + i * st, ind + 1)));
    return '[' + slices.join(',' + '\n'.repeat(rest - 1) + ' '.repeat(ind + 1)) + ']';
  };
  if (x.dim() === 0) return val(x.offset);
  return rec(0, x.offset, indent);
}

/** `tensor([[0.4963]])`, with PyTorch's layout, precision and suffixes. */
export function formatTensor(x: Tensor): string {
  const prefix = 'tensor(';
  const suffixes: string[] = [];
  const dtypeSuffix = `dtype=${info(x.dtype).torch}`;
  let text: string;
  if (x.numel() === 0 && x.dim() > 0) {
    text = '[]';
    if (!(x.dim() === 1 && x.shape[0] === 0)) suffixes.push(`size=(${x.shape.join(', ')}${x.dim() === 1 ? ',' : ''})`);
    // An empty tensor has no values to tell its dtype by, so PyTorch names every dtype but the default.
    if (x.dtype !== getDefaultDtype()) suffixes.push(dtypeSuffix);
  } else {
    const summarize = x.numel() > THRESHOLD;
    const fmt = new Formatter(collect(x, summarize), isFloating(x.dtype), x.dtype === 'bool');
    text = body(x, prefix.length, summarize, fmt);
    // int32 stands for PyTorch's int64, which PyTorch does not name; nor bool or the default float dtype.
    if (isFloating(x.dtype) && x.dtype !== getDefaultDtype()) suffixes.push(dtypeSuffix);
  }
  if (x.gradFn) suffixes.push(`grad_fn=<${x.gradFn.name}>`);
  else if (x.requiresGrad) suffixes.push('requires_grad=True');
  // PyTorch's _add_suffixes: a suffix that would pass the line width goes on a new line, indented.
  let out = prefix + text;
  let lastLineLength = out.length - out.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINEWIDTH) {
      out += ',\n' + ' '.repeat(prefix.length) + suffix;
      lastLineLength = prefix.length + suffix.length;
    } else {
      out += ', ' + suffix;
      lastLineLength += suffix.length + 2;
    }
  }
  return out + ')';
}

Object.defineProperty(Tensor.prototype, 'toString', {
  value: function (this: Tensor): string {
    return formatTensor(this);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
Object.defineProperty(Tensor.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value: function (this: Tensor): string {
    return this.toString();
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
