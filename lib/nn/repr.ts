/** How modules print their options, as PyTorch's extra_repr does: Python's spelling of booleans, floats and tuples. */

/** Python's True / False. */
export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** Python's repr of a float: 0.2, 1.0, 1e-05. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(x);
}

/** Python's repr of a tuple of ints: (3,), (3, 3). */
export const pyTuple = (p: readonly number[]): string => `(${p.join(', ')}${p.length === 1 ? ',' : ''})`;
