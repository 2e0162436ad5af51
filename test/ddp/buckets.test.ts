/** DDP's bucket assignment against PyTorch's dist._compute_bucket_assignment_by_size (test/fixtures/ddp_buckets.json). */
import * as torch from '../../lib';
import type { DType } from '../../lib';
import { computeBucketAssignmentBySize } from '../../lib/nn/parallel/distributed';
import { loadFixture } from '../helpers/fixtures';

interface BucketCase {
  numels: number[];
  dtypes: DType[];
  limits: number[];
  order: number[] | null;
  buckets: number[][];
  sizeLimits: number[];
}
const fx = loadFixture<BucketCase>('ddp_buckets.json') as unknown as { defaultFirstBucketBytes: number; cases: BucketCase[] };

test("PyTorch's buckets and size limits: by size, per dtype, in given order or sorted by smallest index", () => {
  for (const c of fx.cases) {
    const order = c.order ?? c.numels.map((_, i) => i);
    const tensors = order.map((i) => ({ numel: c.numels[i]!, dtype: c.dtypes[i]! }));
    // PyTorch's sys.maxsize limit does not fit a double exactly; any limit above every size behaves alike.
    const limits = c.limits.map((l) => Math.min(l, Number.MAX_SAFE_INTEGER));
    const got = computeBucketAssignmentBySize(tensors, limits, c.order ?? undefined);
    expect(got.buckets).toEqual(c.buckets);
    expect(got.sizeLimits).toEqual(c.sizeLimits.map((l) => Math.min(l, Number.MAX_SAFE_INTEGER)));
  }
});

test("the first bucket's default size is PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES", () => {
  expect(torch.nn.parallel.DistributedDataParallel.defaultFirstBucketBytes).toBe(fx.defaultFirstBucketBytes);
});
