'use strict';
/**
 * matmul through torchlet against the same cblas_sgemm (float32) or cblas_dgemm (float64) called from C
 * (bench/gemm.c) on the same inputs, in the same run, alternating. The C call is the practical limit; goals:
 * ratio >= 0.95 for sgemm N >= 128, >= 0.9 for dgemm N = 1024. Products up to N = 256 are also timed in PyTorch
 * (torch.matmul, a fresh result per call like torchlet's): goal >= 0.95 of it.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const torch = require('..');
const { startHelper } = require('./c_helper');
const { settle, summarize, timeIt } = require('./stats');

/** The products timed: float32 (sgemm) at every size, float64 (dgemm) at two. */
function cases(sizes, dsizes) {
  return [
    ...sizes.map((n) => ({ n, dtype: 'float32', blas: 'sgemm', type: 's' })),
    ...dsizes.map((n) => ({ n, dtype: 'float64', blas: 'dgemm', type: 'd' })),
  ];
}

async function run({ sizes = [32, 64, 128, 256, 512, 1024, 2048], dsizes = [256, 1024], threads = [1], rounds = 5, quick = false, pytorch = null } = {}) {
  const rows = [];
  const before = torch.getNumThreads();
  for (const t of threads) {
    // The helper is started before the inputs exist, so no fork happens between timed rounds.
    const c = startHelper('gemm.c', 'gemm', { OPENBLAS_NUM_THREADS: String(t) });
    torch.setNumThreads(t);
    try {
      for (const { n, dtype, blas, type } of cases(sizes, dsizes)) {
        torch.manualSeed(n);
        const a = torch.rand(n, n, { dtype });
        const b = torch.rand(n, n, { dtype });
        const file = path.join(os.tmpdir(), `torchlet-gemm-${process.pid}-${n}.bin`);
        // The storage views may start inside their ArrayBuffer (large storage is 64-byte aligned): write the views.
        const bytes = (t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        fs.writeFileSync(file, Buffer.concat([bytes(a), bytes(b)]));
        const reps = n >= 2048 ? 5 : n >= 1024 ? 10 : 30;
        // Small products repeat inside a repetition (above the clock's resolution); the warm-up makes about 64 MiB
        // of results, so torchlet's fresh results reach their steady state (see bench/ops.js).
        const inner = Math.max(1, Math.round(2 ** 21 / n ** 3));
        const warmup = Math.max(2, Math.round((64 << 20) / (n * n * (dtype === 'float32' ? 4 : 8))));
        const withPyTorch = pytorch && n <= 256 && dtype === 'float32';
        const tl = [];
        const cl = [];
        const pt = [];
        let cChecksum = 0;
        for (let round = 0; round < (quick ? 2 : rounds); round++) {
          await settle(t);
          tl.push(timeIt(() => torch.matmul(a, b), { warmup, reps, inner }).median);
          await settle(t);
          if (withPyTorch) {
            pt.push(summarize(await pytorch.ask({ workload: 'matmul', n, threads: t, warmup, reps, inner })).median);
            await settle(t);
          }
          const out = await c.ask(`${file} ${n} 2 ${reps * inner} ${type}`);
          if (out.error) throw new Error(`gemm helper: ${out.error}`);
          cl.push(summarize(out.times).median);
          cChecksum = out.checksum;
        }
        fs.unlinkSync(file);
        const checksum = torch.matmul(a, b).sum().item();
        if (Math.abs(checksum - cChecksum) > 1e-4 * Math.abs(cChecksum)) {
          throw new Error(`matmul bench: torchlet and C disagree (checksums ${checksum} and ${cChecksum})`);
        }
        const js = summarize(tl);
        const cs = summarize(cl);
        const py = withPyTorch ? summarize(pt) : null;
        const flops = 2 * n ** 3;
        rows.push({
          workload: `${blas} N=${n}`,
          threads: t,
          torchlet_ms: js,
          c_ms: cs,
          torchlet_gflops: flops / js.median / 1e6,
          c_gflops: flops / cs.median / 1e6,
          ratio: cs.median / js.median,
          ...(py ? { pytorch_ms: py, ratio_pytorch: py.median / js.median } : {}),
        });
      }
    } finally {
      c.close();
      torch.setNumThreads(before);
    }
  }
  return rows;
}

function print(rows) {
  console.log('\nmatmul: torchlet.matmul vs cblas_sgemm / cblas_dgemm from C (same inputs, same run, alternating);');
  console.log('ratio = C time / torchlet time (1.0 = as fast as the C call); medians of rounds, (min-max);');
  console.log('vs PyTorch = PyTorch torch.matmul time / torchlet time (N <= 256)');
  console.log('workload        thr  torchlet ms                  C ms                       GFLOP/s tl / C   ratio  vs PyTorch');
  for (const r of rows) {
    const f = (s) => `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})`.padEnd(27);
    console.log(
      `${r.workload.padEnd(15)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.c_ms)} ` +
        `${r.torchlet_gflops.toFixed(1).padStart(6)} / ${r.c_gflops.toFixed(1).padEnd(7)} ${r.ratio.toFixed(3)}  ` +
        (r.ratio_pytorch ? `${r.ratio_pytorch.toFixed(3)} (${r.pytorch_ms.median.toFixed(4)} ms)` : ''),
    );
  }
}

module.exports = { run, print, needsPyTorch: true };
