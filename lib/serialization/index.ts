/**
 * torch.save / torch.load in two formats: PyTorch's own (.pt, .pth, .bin, .ckpt: the zip archive torch.save writes,
 * any nesting of tensors, numbers, strings, arrays and dicts) and safetensors (.safetensors: a flat dict of tensors,
 * read by other tools; nested objects are flattened into it). Writes are atomic; reads check everything and name the
 * file and the key at fault.
 */
import * as path from 'path';

import type { Tensor } from '../tensor';
import { checkOptions, describe } from '../validate';
import { filePath, readWhole, writeAtomic } from './files';
import { decodePt, encodePt, isLegacyPt, isZip, legacyError } from './pt';
import type { Loaded } from './pt';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

export type { Loaded } from './pt';

/** The two file formats. */
export type SaveFormat = 'pt' | 'safetensors';

export interface SaveOptions {
  /** The format; by default from the extension: .safetensors for safetensors, .pt, .pth, .bin, .ckpt for PyTorch's. */
  format?: SaveFormat;
  /** String pairs stored under "__metadata__" (safetensors only). */
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** The format; by default from the extension, and for other names from the file's first bytes. */
  format?: SaveFormat;
}

const PT_EXTENSIONS = new Set(['.pt', '.pth', '.bin', '.ckpt']);

function checkFormat(op: string, format: unknown): SaveFormat | undefined {
  if (format === undefined || format === 'pt' || format === 'safetensors') return format;
  throw new TypeError(`${op}: expected 'pt' or 'safetensors' for 'format' but received ${describe(format)}`);
}

function formatOfName(file: string): SaveFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  return PT_EXTENSIONS.has(ext) ? 'pt' : undefined;
}

/**
 * The third argument: SaveOptions, or (as before the .pt format) the safetensors metadata itself, told apart by
 * the keys 'format' and 'metadata', which SaveOptions has.
 */
function saveOptions(options: unknown): SaveOptions {
  if (options === undefined || options === null) return {};
  const o = checkOptions('save', options as SaveOptions);
  if (!('format' in o) && !('metadata' in o)) return { metadata: o as Record<string, string> };
  return { format: checkFormat('save', o.format), ...(o.metadata === undefined ? {} : { metadata: o.metadata }) };
}

/**
 * Saves an object, as torch.save. In PyTorch's format (.pt, .pth, .bin, .ckpt, or `{ format: 'pt' }`) anything made of
 * Tensors, numbers, bigints, strings, booleans, null, arrays, Maps and plain objects is saved, and PyTorch 1.13 loads
 * it; tensors that share a storage (views) share it in the file. Maps are written as OrderedDicts, plain objects as
 * dicts (keys that are integers, like an optimizer state's parameter ids, as Python ints), arrays as lists, integral
 * numbers as Python ints and others as floats, torchlet's int32 as PyTorch's int64. Safetensors (.safetensors and
 * any other name, or `{ format: 'safetensors' }`) holds a flat Map or object of tensors and string metadata; a nested
 * object (a checkpoint) is stored with each tensor under its path and its structure in the metadata, views as their
 * values. The old file is replaced only once the new one is complete.
 * @param file a path string or a file: URL (a number, a Buffer or anything else is a TypeError)
 * @param options `{ format, metadata }`; a plain object of strings is taken as the metadata, as before
 * @throws TypeError for values that cannot be saved (naming where they are), metadata that is not strings or for the
 *   pt format, a file that is not a path; RangeError for a safetensors tensor named '__metadata__'; an Error naming
 *   save and the file, with the file system's error as its cause, when writing fails (the old file is then untouched)
 * @example torch.save({ model: model.stateDict(), opt: opt.stateDict(), epoch }, 'ckpt.pt')
 * @example torch.save(model.stateDict(), 'model.safetensors')
 */
export function save(obj: unknown, file: string | URL, options?: SaveOptions | Record<string, string>): void {
  const o = saveOptions(options);
  const name = filePath('save', file);
  const format = o.format ?? formatOfName(name) ?? 'safetensors';
  if (format === 'pt' && o.metadata !== undefined) throw new TypeError("save: 'metadata' is a safetensors feature; PyTorch's format has no place for it");
  const chunks = format === 'pt' ? [encodePt(obj)] : encodeSafetensors(obj, o.metadata);
  writeAtomic('save', name, chunks);
}

/**
 * Loads what save or PyTorch's torch.save wrote, as torch.load. A .pt file is read by a restricted unpickler that
 * accepts only what PyTorch's weights_only=True allows (no code runs; any other global is an error naming it). Its
 * tensors keep their storage sharing, dtypes convert to the nearest torchlet has (float16 and bfloat16 to float32,
 * int64 to int32 with a RangeError naming the tensor when a value does not fit, small integers to int32), and dicts
 * become plain objects (or Maps when a key is neither a string nor an int: see Loaded). A safetensors file gives a Map
 * of its tensors in file order, or the nested object save wrote into it.
 *
 * The type parameter is what you know the file holds (load does not check it against the file): by default Loaded,
 * and Map<string, Tensor> for safetensors.
 * @param file a path string or a file: URL
 * @param options `{ format }`, when the name does not tell
 * @throws TypeError for a file that is not a path; Error naming load and the file (the file system's error as its
 *   cause) when reading fails; Error naming the file and what is wrong for damaged files, legacy (pre-1.6) PyTorch
 *   files (saying how to convert them) and globals weights-only loading refuses
 * @example const { model, opt, epoch } = torch.load<Checkpoint>('ckpt.pt')
 * @example net.loadStateDict(torch.load('net.safetensors'))
 */
export function load<T = Map<string, Tensor>>(file: `${string}.safetensors`, options?: { format?: 'safetensors' }): T;
export function load<T = Map<string, Tensor>>(file: string | URL, options: { format: 'safetensors' }): T;
export function load<T = Loaded>(file: string | URL, options?: LoadOptions): T;
export function load(file: string | URL, options?: LoadOptions): unknown {
  const format = checkFormat('load', checkOptions('load', options)?.format);
  const name = filePath('load', file);
  const buf = readWhole('load', name);
  const chosen = format ?? formatOfName(name) ?? (isZip(buf) || isLegacyPt(buf) ? 'pt' : 'safetensors');
  if (chosen === 'safetensors') {
    if (isZip(buf)) throw new Error(`load: ${name} is a PyTorch zip file, not safetensors; load it with { format: 'pt' }`);
    if (isLegacyPt(buf)) throw legacyError(name);
    return decodeSafetensors(buf, name);
  }
  return decodePt(buf, name);
}
