// Real `liptako` processes for the browser tests and the benchmark: the binary cargo built
// (LIPTAKO_BIN, set by the Rust test that runs these), in temporary data directories, on
// free loopback ports; every process is killed when the test ends, whatever happens.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
/** The binary: LIPTAKO_BIN, else this workspace's debug build (read at each start). */
export const bin = () => process.env.LIPTAKO_BIN || join(ROOT, 'target/debug/liptako');

const children = new Set();
const dirs = new Set();
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { cleanup(); process.exit(130); });

export function tempDir(prefix = 'liptako-web-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** A port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** `liptako ARGS`, to completion; its stdout. */
export function liptako(args) {
  return execFileSync(bin(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a long-running `liptako ARGS`; resolves once `ready(stdoutSoFar)` holds. */
export function start(args, ready = () => true, timeoutMs = 60000) {
  const child = spawn(bin(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' } });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err += chunk; });
  return new Promise((done, fail) => {
    const deadline = Date.now() + timeoutMs;
    const poll = async () => {
      if (child.exitCode !== null) return fail(new Error(`liptako ${args[0]} exited ${child.exitCode}: ${err}`));
      if (await ready(out)) return done({ child, output: () => out, errors: () => err, stop: () => child.kill('SIGTERM') });
      if (Date.now() > deadline) return fail(new Error(`liptako ${args[0]} not ready in time: ${out} ${err}`));
      setTimeout(poll, 100);
    };
    poll();
  });
}

/** Whether `url` answers /healthz. */
export async function healthy(base) {
  try {
    return (await fetch(new URL('/healthz', base))).ok;
  } catch {
    return false;
  }
}

/** A node: init + users + serve. `users`: [{name, clearance, role, password}]. */
export async function startNode({ nation = 'MLI', adminPassword = 'admin-password-1', users = [] } = {}) {
  const data = join(tempDir(), nation.toLowerCase());
  liptako(['init', '--data', data, '--nation', nation, '--admin-password', adminPassword]);
  for (const user of users) {
    liptako(['user', 'add', '--data', data, '--name', user.name, '--clearance', user.clearance, '--role', user.role, '--password', user.password]);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const server = await start(['serve', '--data', data, '--http', `127.0.0.1:${port}`], () => healthy(base));
  return { base, data, server, port };
}

/** A client of the node's API, logged in as `user`. */
export async function apiClient(base, username, password) {
  const login = await fetch(new URL('/api/v1/auth/login', base), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`login ${username}: HTTP ${login.status}`);
  const { token } = await login.json();
  const call = async (method, path, body) => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return json;
  };
  return { token, call };
}
