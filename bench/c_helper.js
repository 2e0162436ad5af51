'use strict';
/** Compiles a C benchmark helper against the system OpenBLAS and talks to it line by line over stdin/stdout. */
const { execFileSync, spawn } = require('child_process');
const os = require('os');
const path = require('path');
const readline = require('readline');

function compile(source, name) {
  const exe = path.join(os.tmpdir(), `torchlet-${name}-${process.pid}`);
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'openblas'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('cc', ['-O2', '-o', exe, path.join(__dirname, source), ...flags]);
  return exe;
}

/** Starts the helper once (one fork for the whole run); ask(line) resolves with its parsed JSON answer. */
function startHelper(source, name, env) {
  const exe = compile(source, name);
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  return {
    ask(line) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(line + '\n');
      });
    },
    close() {
      child.stdin.end();
      require('fs').rmSync(exe, { force: true });
    },
  };
}

module.exports = { startHelper };
