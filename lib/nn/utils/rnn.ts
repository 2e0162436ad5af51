/** Packed and padded variable-length sequences, as torch.nn.utils.rnn (torch/nn/utils/rnn.py). */
import { Tensor } from '../../tensor';

/**
 * A batch of variable-length sequences packed time-major, as torch.nn.utils.rnn.PackedSequence: `data` is
 * [sum(batchSizes), *], the rows of time step 0 for every sequence, then those of step 1 for the sequences still
 * running, and so on. `batchSizes` (int32, 1-D; PyTorch's int64) holds how many sequences run at each step.
 * `sortedIndices` / `unsortedIndices` map between the caller's batch order and the packed (decreasing-length)
 * order, or are null when the batch was already sorted.
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
   * @param unsortedIndices its inverse, or null (computed from sortedIndices when omitted)
   */
  constructor(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor | null = null, unsortedIndices: Tensor | null = null) {
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices;
  }
}
