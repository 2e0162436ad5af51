/** Global grad mode, as torch.no_grad / torch.enable_grad. */
let enabled = true;

/** Whether operations currently record gradients. */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T): T {
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
  return withMode(false, fn);
}

/**
 * Runs fn with gradient recording on, as `with torch.enable_grad():`.
 * @example const y = enableGrad(() => x.mul(2));
 */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
