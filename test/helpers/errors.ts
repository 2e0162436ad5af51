/**
 * Checks an error's class by name: errors made by the native addon come from Node's own realm, so under jest
 * (which runs tests in a separate realm) `instanceof RangeError` would be false for them.
 */
export function expectError(fn: () => unknown, name: 'TypeError' | 'RangeError' | 'Error', message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error(`expected ${name} matching ${message}, but nothing was thrown`);
  const err = caught as Error;
  expect(err.name).toBe(name);
  expect(err.message).toMatch(message);
}
