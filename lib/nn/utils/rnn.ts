/**
 * Packed and padded variable-length sequences, as torch.nn.utils.rnn (torch/nn/utils/rnn.py and ATen's
 * PackedSequence.cpp). Packing and padding are each one gather (indexSelect) over the flattened batch and time
 * dims, so gradients flow back to the input through one node.
 */
import { Tensor } from '../../tensor';
import type { DTypeLike } from '../../dtype';
import { cat, stack } from '../../ops/movement';
import { full } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { broadcastShapes, sameShape, shapeStr } from '../../shape';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, checkTensorList, describe } from '../../validate';

const int32 = (values: ArrayLike<number>): Tensor => new Tensor(Int32Array.from(values), [values.length]);

/** The integer entries of an int tensor, in order. */
const intsOf = (t: Tensor): number[] => (t.reshape(-1).tolist() as number[]).map(Number);

/** The inverse permutation: out[perm[i]] = i. @throws RangeError when perm is not a permutation of 0..n-1 */
function invertPermutation(op: string, name: string, perm: readonly number[]): number[] {
  const out = new Array<number>(perm.length).fill(-1);
  perm.forEach((p, i) => {
    if (!(p >= 0 && p < perm.length) || out[p] !== -1) throw new RangeError(`${op}: '${name}' [${perm.join(', ')}] is not a permutation of 0..${perm.length - 1}`);
    out[p] = i;
  });
  return out;
}

/**
 * A batch of variable-length sequences packed time-major, as torch.nn.utils.rnn.PackedSequence: `data` is
 * [sum(batchSizes), *], the rows of time step 0 for every sequence, then those of step 1 for the sequences still
 * running, and so on. `batchSizes` (int32, 1-D; PyTorch's int64) holds how many sequences run at each step.
 * `sortedIndices` / `unsortedIndices` map between the caller's batch order and the packed (decreasing-length)
 * order, or are null when the batch was already sorted. Destructures as [data, batchSizes, sortedIndices,
 * unsortedIndices], as PyTorch's namedtuple.
 * @example const p = nn.utils.rnn.packSequence([torch.tensor([1, 2, 3]), torch.tensor([4])]);
 *   p.data // [1, 4, 2, 3]; p.batchSizes // [2, 1, 1]
 */
export class PackedSequence {
  /** The packed rows, [sum(batchSizes), *]. */
  readonly data: Tensor;
  /** How many sequences are still running at each time step (int32, 1-D, non-increasing). */
  readonly batchSizes: Tensor;
  /** Packed position i holds the caller's sequence sortedIndices[i] (int32), or null when already sorted. */
  readonly sortedIndices: Tensor | null;
  /** The inverse permutation of sortedIndices (int32), or null when already sorted. */
  readonly unsortedIndices: Tensor | null;

  /**
   * Wraps already packed data; use packPaddedSequence or packSequence to build one from sequences.
   * @param data the packed rows, [sum(batchSizes), *]
   * @param batchSizes how many sequences run at each step (int32 1-D)
   * @param sortedIndices the sorting permutation, or null
   * @param unsortedIndices its inverse, or null (computed from sortedIndices when omitted, as PyTorch does)
   * @throws TypeError when data or batchSizes is not a Tensor, or batchSizes or an index tensor is not int32 1-D
   * @example new nn.utils.rnn.PackedSequence(torch.tensor([1, 4, 2]), torch.tensor([2, 1], { dtype: 'int32' }))
   */
  constructor(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor | null = null, unsortedIndices: Tensor | null = null) {
    const op = 'PackedSequence';
    checkTensor(op, 'data', data);
    checkIntVector(op, 'batch_sizes', batchSizes);
    if (sortedIndices !== null) checkIntVector(op, 'sorted_indices', sortedIndices);
    if (unsortedIndices !== null) checkIntVector(op, 'unsorted_indices', unsortedIndices);
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices ?? (sortedIndices === null ? null : int32(invertPermutation(op, 'sorted_indices', intsOf(sortedIndices))));
  }

  /**
   * The same batch with data converted to dtype (the indices unchanged), or this when data has it already.
   * @example packed.to('float64').data.dtype // 'float64'
   */
  to(dtype: DTypeLike): PackedSequence {
    const data = this.data.to(dtype);
    return data === this.data ? this : new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  /** data as float32, as PackedSequence.float(). @example packed.float().data.dtype // 'float32' */
  float(): PackedSequence {
    return this.to('float32');
  }

  /** data as float64, as PackedSequence.double(). @example packed.double().data.dtype // 'float64' */
  double(): PackedSequence {
    return this.to('float64');
  }

  /** This batch: it already lives on the CPU, as PackedSequence.cpu(). @example packed.cpu() === packed // true */
  cpu(): PackedSequence {
    return this;
  }

  /** Always false: torchlet runs on the CPU, as PackedSequence.is_cuda there. @example packed.isCuda // false */
  get isCuda(): boolean {
    return false;
  }

  /** Destructuring as PyTorch's namedtuple: [data, batchSizes, sortedIndices, unsortedIndices]. */
  *[Symbol.iterator](): IterableIterator<Tensor | null> {
    yield this.data;
    yield this.batchSizes;
    yield this.sortedIndices;
    yield this.unsortedIndices;
  }
}

function checkIntVector(op: string, name: string, v: unknown): asserts v is Tensor {
  checkTensor(op, name, v);
  if (v.dtype !== 'int32' || v.dim() !== 1) {
    throw new TypeError(`${op}: expected a 1-D int32 (PyTorch's int64) Tensor for '${name}' but received ${describe(v)}`);
  }
}

/** The options of padSequence and padPackedSequence. | */
export interface PadOptions {
  /** Put the batch dim first ([B, T, *]) instead of time ([T, B, *]). */
  batchFirst?: boolean;
  /** The value past each sequence's end (default 0). */
  paddingValue?: number;
}

/**
 * Stacks sequences of different lengths [L_i, *] into one [maxL, B, *] tensor (or [B, maxL, *] with batchFirst),
 * filled with paddingValue past each sequence's end, as torch.nn.utils.rnn.pad_sequence. The result has the first
 * sequence's dtype; a sequence's trailing dims broadcast to the first's as PyTorch's copy does.
 * @param sequences the sequences, each with at least one dim
 * @throws RangeError for an empty list, a 0-dim sequence, or trailing dims that do not broadcast
 * @example nn.utils.rnn.padSequence([torch.tensor([1, 2, 3]), torch.tensor([4])], { batchFirst: true })
 *   // [[1, 2, 3], [4, 0, 0]]
 */
export function padSequence(sequences: readonly Tensor[], options: PadOptions = {}): Tensor {
  const op = 'padSequence';
  const seqs = checkTensorList(op, 'sequences', sequences);
  const o = checkOptions(op, options);
  const batchFirst = checkBool(op, 'batchFirst', o.batchFirst, false);
  return pad(op, seqs, batchFirst, checkNumber(op, 'paddingValue', o.paddingValue ?? 0));
}

function pad(op: string, seqs: readonly Tensor[], batchFirst: boolean, paddingValue: number): Tensor {
  if (seqs.length === 0) throw new RangeError(`${op}: received an empty list of sequences`);
  seqs.forEach((s, i) => {
    if (s.dim() === 0) throw new RangeError(`${op}: Dimension specified as 0 but tensor has no dimensions (sequence ${i} is 0-dim)`);
  });
  const first = seqs[0]!;
  const trailing = first.shape.slice(1);
  const maxLen = seqs.reduce((m, s) => Math.max(m, s.shape[0]!), 0);
  const padded = seqs.map((s, i) => {
    const slot = [s.shape[0]!, ...trailing];
    if (!sameShape(s.shape, slot)) {
      const b = broadcastShapes(op, slot, s.shape);
      if (!sameShape(b, slot)) throw new RangeError(`${op}: output with shape ${shapeStr(slot)} doesn't match the broadcast shape ${shapeStr(b)} (sequence ${i})`);
      s = s.expand(...slot);
    }
    s = s.to(first.dtype);
    if (s.shape[0] === maxLen) return s;
    return cat([s, full([maxLen - s.shape[0]!, ...trailing], paddingValue, { dtype: first.dtype })]);
  });
  return stack(padded, batchFirst ? 0 : 1);
}

/** Lengths given as a list of numbers or a 1-D integer Tensor (truncated towards zero, as torch.as_tensor(int64)). */
function lengthsOf(op: string, lengths: Tensor | readonly number[]): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.dim() !== 1) throw new RangeError(`${op}: 'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.dim()}D ${lengths.dtype} tensor`);
    if (lengths.dtype === 'bool') throw new TypeError(`${op}: expected integer lengths for 'lengths' but received ${describe(lengths)}`);
    return intsOf(lengths).map(Math.trunc);
  }
  if (!Array.isArray(lengths)) throw new TypeError(`${op}: expected a Tensor or an array of numbers for 'lengths' but received ${describe(lengths)}`);
  return lengths.map((v, i) => Math.trunc(checkNumber(op, `lengths[${i}]`, v, false)));
}

/** The options of packPaddedSequence. | */
export interface PackOptions {
  /** The input is [B, T, *] instead of [T, B, *]. */
  batchFirst?: boolean;
  /** The lengths must already be in decreasing order (default true); false sorts them and records the order. */
  enforceSorted?: boolean;
}

/**
 * Packs a padded batch [T, B, *] (or [B, T, *] with batchFirst) of sequences with the given lengths, as
 * torch.nn.utils.rnn.pack_padded_sequence. With enforceSorted false the batch is sorted by decreasing length
 * and the order is kept in sortedIndices. Ties keep their order, as PyTorch's sort does for up to 16 sequences;
 * for more, PyTorch's (unstable) sort may order equal lengths differently, which changes the rows of `data` but
 * not what padPackedSequence returns.
 * @param input the padded batch, at least 2-D
 * @param lengths each sequence's length, as numbers or a 1-D integer Tensor
 * @throws RangeError in PyTorch's words: empty input, lengths not one per sequence, a length <= 0, lengths not
 *   decreasing with enforceSorted, and (where PyTorch reads past the input) a length above T
 * @example nn.utils.rnn.packPaddedSequence(torch.tensor([[1, 4], [2, 0], [3, 0]]), [3, 1]).data // [1, 4, 2, 3]
 */
export function packPaddedSequence(input: Tensor, lengths: Tensor | readonly number[], options: PackOptions = {}): PackedSequence {
  const op = 'packPaddedSequence';
  checkTensor(op, 'input', input);
  const o = checkOptions(op, options);
  const batchFirst = checkBool(op, 'batchFirst', o.batchFirst, false);
  return pack(op, input, lengthsOf(op, lengths), batchFirst, checkBool(op, 'enforceSorted', o.enforceSorted, true));
}

function pack(op: string, input: Tensor, lens: number[], batchFirst: boolean, enforceSorted: boolean): PackedSequence {
  let order: number[] | null = null;
  if (!enforceSorted) {
    order = lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b);
    lens = order.map((i) => lens[i]!);
  }
  if (input.dim() < 2) {
    throw new RangeError(`${op}: Dimension out of range (expected to be in range of [-1, 0], but got 1) (input of shape ${shapeStr(input.shape)} has no batch dim)`);
  }
  const [bDim, tDim] = batchFirst ? [0, 1] : [1, 0];
  const B = input.shape[bDim]!;
  const T = input.shape[tDim]!;
  if (input.numel() === 0) throw new RangeError(`${op}: Cannot pack empty tensors.`);
  if (lens.length !== B) throw new RangeError(`${op}: Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`);
  if (!(lens[B - 1]! > 0)) throw new RangeError(`${op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0`);
  for (let i = 1; i < B; i++) {
    if (lens[i]! > lens[i - 1]!) {
      throw new RangeError(
        `${op}: \`lengths\` array must be sorted in decreasing order when \`enforce_sorted\` is True. You can pass \`enforce_sorted=False\` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.`,
      );
    }
  }
  if (lens[0]! > T) throw new RangeError(`${op}: a sequence of length ${lens[0]} does not fit the padded input of shape ${shapeStr(input.shape)} (${T} time steps)`);
  // Row of (step t, packed sequence j) in the input flattened over its batch and time dims.
  const batchSizes: number[] = [];
  const rows: number[] = [];
  for (let t = 0; t < lens[0]!; t++) {
    let n = 0;
    while (n < B && lens[n]! > t) {
      const b = order ? order[n]! : n;
      rows.push(batchFirst ? b * T + t : t * B + b);
      n++;
    }
    batchSizes.push(n);
  }
  const data = indexSelect(input.flatten(0, 1), 0, int32(rows));
  return new PackedSequence(data, int32(batchSizes), order ? int32(order) : null, order ? int32(invertPermutation(op, 'sorted_indices', order)) : null);
}

/** The options of padPackedSequence. | */
export interface PadPackedOptions extends PadOptions {
  /** Pad to this many time steps (at least the longest sequence) instead of the longest sequence's length. */
  totalLength?: number | null;
}

/**
 * Unpacks a PackedSequence into a padded batch [T, B, *] (or [B, T, *] with batchFirst) in the caller's original
 * order, and the sequences' lengths (int32), as torch.nn.utils.rnn.pad_packed_sequence.
 * @throws TypeError when sequence is not a PackedSequence
 * @throws RangeError when totalLength is below the longest sequence, or batchSizes does not match data's rows
 * @example const [padded, lengths] = nn.utils.rnn.padPackedSequence(packed, { batchFirst: true });
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) throw new TypeError(`${op}: expected a PackedSequence for 'sequence' but received ${describe(sequence)}`);
  const o = checkOptions(op, options);
  const batchFirst = checkBool(op, 'batchFirst', o.batchFirst, false);
  const paddingValue = checkNumber(op, 'paddingValue', o.paddingValue ?? 0);
  const sizes = intsOf(sequence.batchSizes);
  const maxLen = sizes.length;
  let T = maxLen;
  if (o.totalLength !== undefined && o.totalLength !== null) {
    T = checkInt(op, 'totalLength', o.totalLength);
    if (T < maxLen) {
      throw new RangeError(`${op}: Expected total_length to be at least the length of the longest sequence in input, but got total_length=${T} and max sequence length being ${maxLen}`);
    }
  }
  const { data } = sequence;
  const N = sizes.reduce((a, b) => a + b, 0);
  const B = sizes[0] ?? 0;
  if (data.dim() === 0 || data.shape[0] !== N || sizes.some((s, t) => s < 1 || (t > 0 && s > sizes[t - 1]!))) {
    throw new RangeError(`${op}: batch_sizes [${sizes.join(', ')}] (non-increasing, positive) do not describe data of shape ${shapeStr(data.shape)}`);
  }
  const unsorted = sequence.unsortedIndices ? intsOf(sequence.unsortedIndices) : null;
  if (unsorted && (unsorted.length !== B || unsorted.some((u) => !(u >= 0 && u < B)))) {
    throw new RangeError(`${op}: unsorted_indices [${unsorted.join(', ')}] is not a permutation of the batch of ${B}`);
  }
  // For each padded slot (t, b), the packed row it reads, or N: the padding row appended to data.
  const lengths = new Array<number>(B).fill(0);
  const start: number[] = [];
  let at = 0;
  for (const s of sizes) {
    start.push(at);
    for (let j = 0; j < s; j++) lengths[j]!++;
    at += s;
  }
  const rows = new Array<number>(T * B);
  for (let b = 0; b < B; b++) {
    const j = unsorted ? unsorted[b]! : b;
    for (let t = 0; t < T; t++) rows[batchFirst ? b * T + t : t * B + b] = t < maxLen && j < sizes[t]! ? start[t]! + j : N;
  }
  const trailing = data.shape.slice(1);
  const ext = cat([data, full([1, ...trailing], paddingValue, { dtype: data.dtype })]);
  const padded = indexSelect(ext, 0, int32(rows)).reshape(batchFirst ? [B, T, ...trailing] : [T, B, ...trailing]);
  return [padded, int32(unsorted ? unsorted.map((j) => lengths[j]!) : lengths)];
}

/**
 * Packs sequences [L_i, *] (padSequence then packPaddedSequence), as torch.nn.utils.rnn.pack_sequence.
 * @throws RangeError as padSequence and packPaddedSequence (lengths not decreasing with enforceSorted)
 * @example nn.utils.rnn.packSequence([torch.tensor([1]), torch.tensor([2, 3])], { enforceSorted: false })
 */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const op = 'packSequence';
  const seqs = checkTensorList(op, 'sequences', sequences);
  const o = checkOptions(op, options);
  const enforceSorted = checkBool(op, 'enforceSorted', o.enforceSorted, true);
  return pack(op, pad(op, seqs, false, 0), seqs.map((s) => s.shape[0]!), false, enforceSorted);
}

/**
 * Splits a padded batch back into its sequences, each cut to its length, as torch.nn.utils.rnn.unpad_sequence
 * (which pairs sequences with lengths up to the shorter of the two; PyTorch transposes its argument in place, torchlet
 * does not).
 * @example nn.utils.rnn.unpadSequence(torch.tensor([[1, 4], [2, 0]]), [2, 1]) // [[1, 2], [4]]
 */
export function unpadSequence(paddedSequences: Tensor, lengths: Tensor | readonly number[], options: { batchFirst?: boolean } = {}): Tensor[] {
  const op = 'unpadSequence';
  checkTensor(op, 'padded_sequences', paddedSequences);
  const o = checkOptions(op, options);
  const batchFirst = checkBool(op, 'batchFirst', o.batchFirst, false);
  const lens = lengthsOf(op, lengths);
  if (paddedSequences.dim() < 2) throw new RangeError(`${op}: expected a padded batch of at least 2 dims for 'padded_sequences' but received ${describe(paddedSequences)}`);
  const byBatch = batchFirst ? paddedSequences : paddedSequences.transpose(0, 1);
  const T = byBatch.shape[1]!;
  const n = Math.min(byBatch.shape[0]!, lens.length);
  return Array.from({ length: n }, (_, b) => byBatch.select(0, b).narrow(0, 0, Math.max(0, Math.min(T, lens[b]!))));
}

/**
 * Splits a PackedSequence into its sequences in the original order, as torch.nn.utils.rnn.unpack_sequence.
 * @example nn.utils.rnn.unpackSequence(nn.utils.rnn.packSequence([torch.tensor([1, 2]), torch.tensor([3])]))
 *   // [[1, 2], [3]]
 */
export function unpackSequence(packedSequences: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packedSequences, { batchFirst: true });
  return unpadSequence(padded, lengths, { batchFirst: true });
}
