/** Global grad mode, as torch.no_grad / torch.enable_grad. */
let enabled = true;

/** Whether operations currently record gradients. @example torch.noGrad(() => torch.isGradEnabled()) // false */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(op: string, mode: boolean, fn: () => T): T {
  // validate.ts imports this module, so the message is made here.
  if (typeof fn !== 'function') {
    const what = fn === null ? 'null' : Array.isArray(fn) ? 'an array' : typeof fn === 'object' ? 'an object' : `a ${typeof fn}`;
    throw new TypeError(`${op}: expected a function for 'fn' but received ${what}`);
  }
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/**
 * Runs fn with gradient recording off, as `with torch.no_grad():`.
 * @example const y = noGrad(() => x.mul(2));
 */
export function noGrad<T>(fn: () => T): T {
  return withMode('noGrad', false, fn);
}

/**
 * Runs fn with gradient recording on, as `with torch.enable_grad():`.
 * @example const y = enableGrad(() => x.mul(2));
 */
export function enableGrad<T>(fn: () => T): T {
  return withMode('enableGrad', true, fn);
}
