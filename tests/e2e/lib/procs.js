'use strict';
// Child processes of the run (the demo apps): started with a deadline on their "serving" line,
// their output kept for failure messages, and every one killed when the run ends, however it ends.
const { spawn } = require('node:child_process');
const net = require('node:net');

const children = new Set();

function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => { killAll(); process.exit(130); });
}

// Starts `bin args`, resolves once a stdout line starts with `prefix` (e.g. "portal_demo: serving").
function startServer(name, bin, args, { prefix, timeoutMs = 20000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env || process.env });
    children.add(child);
    let out = '';
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) { try { child.kill('SIGKILL'); } catch { /* gone */ } reject(err); } else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(
      `${name} did not print "${prefix}" within ${timeoutMs} ms; output so far:\n${out}`)), timeoutMs);
    const onData = (chunk) => {
      out += chunk;
      if (out.length > 200000) out = out.slice(-100000);
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line) finish(null, { child, line: line.trim(), output: () => out });
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { out += c; });
    child.on('error', (e) => finish(new Error(`${name}: cannot start ${bin}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      children.delete(child);
      finish(new Error(`${name} exited (${code ?? signal}) before serving; output:\n${out}`));
    });
  });
}

// A port free on `host` now (the caller binds it at once, or passes it to a child that does).
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function portFree(host, port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

module.exports = { startServer, freePort, portFree, killAll };
