/**
 * The file side of save and load: the path argument (a string or a file: URL), file-system errors relabelled with
 * the op and the file, and atomic writes (a temporary file beside the target, fsync, rename; the temporary file is
 * removed on every failure, and ones left by a killed process are removed by the next save of the same target).
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

import { describe } from '../validate';

/**
 * The file argument of save and load: a path string or a file: URL (as fs takes them). Numbers (file descriptors),
 * Buffers and anything else are refused, so that load(4) cannot read one of the process's own descriptors.
 */
export function filePath(op: string, file: unknown): string {
  if (file instanceof URL) {
    if (file.protocol !== 'file:') throw new TypeError(`${op}: expected a file: URL but received the URL ${file.href}`);
    return fileURLToPath(file);
  }
  if (typeof file !== 'string') throw new TypeError(`${op}: expected a file path (a string or a file: URL) for 'file' but received ${describe(file)}`);
  if (file.length === 0) throw new TypeError(`${op}: expected a file path for 'file' but received an empty string`);
  if (file.includes('\0')) throw new TypeError(`${op}: a file path may not contain a null byte`);
  return file;
}

/** Runs a file-system call, rethrowing its error with the op and the file named (the original kept as cause). */
export function fsCall<T>(op: string, what: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code !== 'string') throw e;
    throw new Error(`${op}: cannot ${what} ${JSON.stringify(file)}: ${err.message}`, { cause: e });
  }
}

// Temporary files are `.<target name>.<pid>.<random>.torchlet-tmp` in the target's directory: on the same file
// system (so the rename is atomic) and recognisable as belonging to one target and one process.
const TMP_SUFFIX = '.torchlet-tmp';

function tmpName(file: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${rand}${TMP_SUFFIX}`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files of `file` left by saves that died (their process is gone); live saves are left alone. */
function removeStale(file: string): void {
  const base = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return; // the write itself will report a missing directory
  }
  for (const name of names) {
    if (!name.startsWith(base) || !name.endsWith(TMP_SUFFIX)) continue;
    const m = /^(\d+)\.[0-9a-z]+$/.exec(name.slice(base.length, -TMP_SUFFIX.length));
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(path.dirname(file), name), { force: true });
  }
}

/**
 * Writes `chunks` to `file` atomically: the old file is replaced only once the new one is complete and synced.
 * @throws Error naming the op and the file, with the file system's error as its cause
 */
export function writeAtomic(op: string, file: string, chunks: readonly Uint8Array[]): void {
  fsCall(op, 'write', file, () => {
    removeStale(file);
    const tmp = tmpName(file);
    const fd = fs.openSync(tmp, 'wx');
    try {
      try {
        for (const b of chunks) fs.writeSync(fd, b);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  });
}

/** The whole file. @throws Error naming the op and the file, with the file system's error as its cause */
export function readWhole(op: string, file: string): Buffer {
  return fsCall(op, 'read', file, () => fs.readFileSync(file));
}
