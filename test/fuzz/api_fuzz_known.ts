import type { Outcome } from './api_fuzz_core';

/**
 * Entry points that still end in a generic JS message, an internal torchlet.native.* one, or a hang, for some
 * arguments: the test lets these outcomes (and only these) pass for them while their owners fix them. Grouped by
 * the file that has to change; each comment gives one message the fuzzer saw (numbers masked as N) and the call
 * index that replays it (TORCHLET_FUZZ_ONLY=<index> npm run fuzz, TORCHLET_FUZZ_SHOW_ARGS=1 prints the arguments).
 * Remove an entry when it is fixed: the test prints entries that no longer fail. Generated from a 400,000-call
 * run with seed 1 (`TORCHLET_FUZZ_CALLS=400000 npm run fuzz`).
 */
export const KNOWN_FAILING: Readonly<Record<string, readonly Outcome[]>> = {
};
