/**
 * The optional Gloo addon (torchlet_gloo.node, native/distributed/) as one TypeScript interface, loaded on first
 * use by torchlet.distributed only: requiring torchlet never loads it, and torchlet works without it.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { Storage } from '../../dtype';

/** An opaque handle to one queued operation. */
export type WorkHandle = { readonly __work: unique symbol };

/** The options of one process group's rendezvous. */
export interface NativeGroupOptions {
  store: 'file' | 'tcp';
  /** file: the store's directory. */
  path?: string;
  /** tcp: rank 0's key-value store. */
  host?: string;
  port?: number;
  /** The group's keys in the store. */
  prefix: string;
  rank: number;
  size: number;
  /** Milliseconds, for the rendezvous and for every collective. */
  timeout: number;
  /** The address this process's Gloo device listens on, or the interface (GLOO_SOCKET_IFNAME). */
  hostname?: string;
  iface?: string;
  /** The members' ranks in the default group, for messages. */
  globalRanks: number[];
  /** allReduce through shared memory when every member agrees to and runs on this host (else Gloo). */
  shm?: boolean;
}

export interface GlooBinding {
  /** Serves the env:// key-value store (port 0: any free port); returns [id, port]. */
  startStore(host: string, port: number): [number, number];
  stopStore(id: number): void;
  /** Starts a group whose thread first runs the rendezvous; done(error | null) reports it. */
  newGroup(options: NativeGroupOptions, done: (error: string | null) => void): number;
  destroyGroup(group: number): void;
  /**
   * Queues one operation on the group's thread (kind, op: codes of KINDS and REDUCE_OPS; dtype: of DTYPE_CODES).
   * Without done the work is only waited for: no JS call is queued when it completes.
   */
  run(
    group: number, kind: number, op: number, root: number, dtype: number, inputs: Storage[], outputs: Storage[],
    timeout: number, done: ((error: string | null) => void) | undefined,
  ): WorkHandle;
  /** Blocks until the operation is done; its error, or null. */
  wait(work: WorkHandle): string | null;
  isCompleted(work: WorkHandle): boolean;
  /** Whether the group's allReduce runs through shared memory (false before its rendezvous has succeeded). */
  usesSharedMemory(group: number): boolean;
  /** dst[i] = src[i] * scale in dst's precision, one pass (DistributedDataParallel's gradient-to-bucket copy). */
  scaleInto(dst: Float32Array | Float64Array, src: Float32Array | Float64Array, scale: number): void;
}

/** The addon's operation codes, in its order (native/distributed/group.h, enum Kind). */
export const KINDS = [
  'allReduce', 'broadcast', 'barrier', 'allGather', 'gather', 'scatter', 'reduce', 'allToAll', 'reduceScatter', 'send', 'recv',
] as const;
/** The addon's reduce ops, in its order (enum ReduceOp). */
export const REDUCE_OPS = ['sum', 'avg', 'product', 'min', 'max'] as const;
/** The dtypes Gloo collectives take, with the addon's codes (enum DType). */
export const DTYPE_CODES: Readonly<Record<string, number>> = { float32: 0, float64: 1, int32: 2 };

/** What to do when there is no Gloo addon: one line. */
export const INSTALL_HINT =
  'torchlet.distributed needs the Gloo backend, which this torchlet was built without: install Gloo ' +
  '(Debian/Ubuntu: `apt-get install -y libgloo-dev`), then rebuild torchlet from source ' +
  '(`npm rebuild torchlet --build-from-source`), or set TORCHLET_GLOO_NATIVE to a built torchlet_gloo.node';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Where the Gloo addon may be: TORCHLET_GLOO_NATIVE, beside TORCHLET_NATIVE's addon, or in build/. */
function candidates(): string[] {
  const explicit = process.env.TORCHLET_GLOO_NATIVE;
  if (explicit) return [path.resolve(explicit)];
  const out: string[] = [];
  if (process.env.TORCHLET_NATIVE) out.push(path.join(path.dirname(path.resolve(process.env.TORCHLET_NATIVE)), 'torchlet_gloo.node'));
  out.push(path.join(ROOT, 'build', 'Release', 'torchlet_gloo.node'), path.join(ROOT, 'build', 'Debug', 'torchlet_gloo.node'));
  return out;
}

/** The Gloo addon's file, or null when there is none. */
export function glooPath(): string | null {
  return candidates().find((f) => fs.existsSync(f)) ?? null;
}

let loaded: GlooBinding | null = null;

/**
 * Loads the Gloo addon once.
 * @throws Error (one line) saying what to install when it is missing or does not load.
 */
export function loadGloo(): GlooBinding {
  if (loaded) return loaded;
  const file = glooPath();
  if (!file) throw new Error(INSTALL_HINT);
  try {
    loaded = require(file) as GlooBinding;
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new Error(`${INSTALL_HINT} (${file} did not load: ${why})`);
  }
  return loaded;
}
