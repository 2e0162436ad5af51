/** Modules whose parameters live in memory another thread shares. */
import { Tensor, assignData } from '../tensor';
import type { Module, StateDict } from '../nn/modules/module';
import { describe } from '../validate';

/**
 * Points every parameter and buffer of `module` at the storage of the same-named tensor of `stateDict`, without a
 * copy (the Parameter objects stay the same, so an optimizer built on them keeps working). With a state dict of
 * shared tensors (a module that called shareMemory(), posted to this thread), this thread's module then reads and
 * trains the very memory the other thread sees: the worker's optimizer steps show up in the other module at once.
 * Reads during a step may see some tensors updated and others not yet (as PyTorch's Hogwild training).
 * @throws Error listing missing or unexpected keys and shape or dtype mismatches (nothing is changed then)
 * @example threads.useSharedStateDict(model, sharedStateDict)
 */
export function useSharedStateDict(module: Module, stateDict: StateDict | Record<string, Tensor>): Module {
  const sd = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict ?? {}));
  const targets = new Map<string, Tensor>([...module.namedParameters(), ...module.namedBuffers()]);
  const errors: string[] = [];
  for (const [key, t] of targets) {
    const src: unknown = sd.get(key);
    if (src === undefined) errors.push(`missing key "${key}"`);
    else if (!(src instanceof Tensor)) errors.push(`"${key}" is ${describe(src)}, not a Tensor`);
    else if (src.dtype !== t.dtype || src.shape.length !== t.shape.length || src.shape.some((n, i) => n !== t.shape[i])) {
      errors.push(`"${key}" is ${describe(src)}, the module's is ${describe(t)}`);
    }
  }
  for (const key of sd.keys()) if (!targets.has(key)) errors.push(`unexpected key "${key}"`);
  if (errors.length) throw new Error(`useSharedStateDict: cannot use this state dict for ${module.constructor.name}: ${errors.join('; ')}`);
  for (const [key, t] of targets) assignData(t, sd.get(key) as Tensor);
  return module;
}
