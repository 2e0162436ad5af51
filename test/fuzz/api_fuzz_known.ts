import type { Outcome } from './api_fuzz_core';

/** Filled in below. */
export const KNOWN_FAILING: Readonly<Record<string, readonly Outcome[]>> = {};
