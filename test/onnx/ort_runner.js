/**
 * Runs an ONNX model in onnxruntime-node outside jest (whose per-test realm breaks onnxruntime's typed-array
 * checks). Reads { model, runs: [{ name: { type, dims, data (base64) } }] } as JSON on stdin and writes
 * { runs: [{ name: { type, dims, data (base64) } }] } or { error } on stdout.
 */
'use strict';
const ort = require('onnxruntime-node');

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array };

function decode({ type, dims, data }) {
  const bytes = Buffer.from(data, 'base64');
  const Arr = ARRAYS[type];
  const copy = new Uint8Array(bytes).buffer;
  return new ort.Tensor(type, new Arr(copy, 0, bytes.length / Arr.BYTES_PER_ELEMENT), dims);
}

function encode(t) {
  const d = t.data;
  return { type: t.type, dims: [...t.dims], data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') };
}

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  try {
    const session = await ort.InferenceSession.create(request.model, { logSeverityLevel: 3 });
    const runs = [];
    for (const feeds of request.runs) {
      const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, decode(v)]));
      const out = await session.run(inputs);
      runs.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, encode(v)])));
    }
    process.stdout.write(JSON.stringify({ runs }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
  }
}

main();
