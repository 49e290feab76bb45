// The end-to-end harness: the standalone binary on free ports with a
// throwaway data folder (or a running `make cluster`'s gateway, with
// CLOUDDRIVE_E2E_CLUSTER), Debian's Chromium through playwright-core, a
// console watch that fails on errors the app did not expect, screenshots,
// and test files of a given size.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const webDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const repoDir = path.resolve(webDir, '../..');
/** Screenshots, downloads and the server's log (git-ignored). */
export const outDir = path.resolve(process.env.E2E_OUTPUT ?? path.join(webDir, 'e2e-output'));
export const shotsDir = path.join(outDir, 'screenshots');

/**
 * Empties the output folder, or with a name only the screenshots of that
 * test file (screenshots/<name>/), so files run one after the other keep
 * each other's output.
 */
export async function resetOutput(name) {
  if (name) {
    await rm(path.join(shotsDir, name), { recursive: true, force: true });
    await mkdir(path.join(shotsDir, name), { recursive: true });
    shotPrefix = `${name}/`;
    return;
  }
  await rm(outDir, { recursive: true, force: true });
  await mkdir(shotsDir, { recursive: true });
}
let shotPrefix = '';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The state folder of a running `make cluster` to test instead of the
 * binary (CLOUDDRIVE_E2E_CLUSTER, as for the Go suites); '' for the binary.
 */
export const clusterDir = process.env.CLOUDDRIVE_E2E_CLUSTER ?? '';

/**
 * The running cluster's gateway, emptied first (deploy/local/cluster.sh
 * empty) so the story starts on a fresh drive as with the binary. stop()
 * leaves the cluster running: it is not the suite's.
 */
async function clusterServer() {
  const env = Object.fromEntries(
    (await readFile(path.join(clusterDir, 'cluster.env'), 'utf8').catch((e) => {
      throw new Error(`CLOUDDRIVE_E2E_CLUSTER=${clusterDir}: ${e.message} (start it with make cluster)`);
    }))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (!env.GATEWAY_HTTP) throw new Error(`${clusterDir}/cluster.env names no gateway port`);
  const r = spawnSync('bash', [path.join(repoDir, 'deploy/local/cluster.sh'), 'empty'], {
    env: { ...process.env, CLUSTER_DIR: clusterDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`emptying the cluster in ${clusterDir} failed: ${r.stderr || r.error}`);
  const url = `http://127.0.0.1:${env.GATEWAY_HTTP}`;
  if (!(await fetch(`${url}/healthz`)).ok) throw new Error(`the cluster's gateway at ${url} is not healthy`);
  return { url, data: null, cluster: clusterDir, stop: async () => undefined };
}

/** Runs the binary on the given ports and data folder until /healthz answers; null when it did not come up. */
async function spawnServer(bin, data, http, grpc, log) {
  const proc = spawn(bin, ['-data', data, '-http', `127.0.0.1:${http}`, '-grpc', `127.0.0.1:${grpc}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  const run = { proc, exited: null, done: null };
  run.done = new Promise((resolve) => proc.on('exit', (code, sig) => resolve((run.exited = { code, sig }))));
  proc.on('error', (e) => (run.exited = { error: e }));
  // Never leave it running, whatever ends this process.
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);
  proc.on('exit', () => process.off('exit', killOnExit));
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 30_000;
  while (!run.exited && Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return run;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  if (!run.exited) {
    proc.kill('SIGKILL');
    await run.done;
  }
  return { ...run, failed: true };
}

async function stopRun(run) {
  if (run.exited) return;
  run.proc.kill('SIGTERM');
  const killer = setTimeout(() => run.proc.kill('SIGKILL'), 10_000);
  await run.done;
  clearTimeout(killer);
}

/**
 * Starts bin/clouddrive (or $CLOUDDRIVE_BIN) with a fresh data folder on
 * free ports and waits for /healthz. stop() ends it and removes the data;
 * halt() stops it keeping the data, and resume() starts it again on the
 * same ports (a server restart as the browser sees it).
 * With CLOUDDRIVE_E2E_CLUSTER, the running cluster instead (data is null:
 * a step that restarts the server or reads its folder runs against the
 * binary only).
 */
export async function startServer(logName = 'server.log') {
  if (clusterDir) return clusterServer();
  const bin = process.env.CLOUDDRIVE_BIN ?? path.join(repoDir, 'bin', 'clouddrive');
  const data = await mkdtemp(path.join(os.tmpdir(), 'clouddrive-e2e-'));
  const log = createWriteStream(path.join(outDir, logName));
  for (let attempt = 1; ; attempt++) {
    const http = await freePort();
    const grpc = await freePort();
    let run = await spawnServer(bin, data, http, grpc, log);
    if (!run.failed) {
      return {
        url: `http://127.0.0.1:${http}`,
        data,
        async halt() {
          await stopRun(run);
        },
        async resume() {
          run = await spawnServer(bin, data, http, grpc, log);
          if (run.failed) throw new Error(`clouddrive did not start again (${JSON.stringify(run.exited ?? 'timeout')})`);
        },
        async stop() {
          await stopRun(run);
          log.end();
          await rm(data, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 3 || run.exited?.error) {
      log.end();
      await rm(data, { recursive: true, force: true });
      throw new Error(`clouddrive did not start (${JSON.stringify(run.exited ?? 'timeout')}); see ${path.join(outDir, logName)}`);
    }
    // A port taken in between: try others.
  }
}

/**
 * Debian's Chromium, headless. Playwright gives every launch a fresh
 * profile folder of its own (it refuses --user-data-dir in args).
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Console lines Chrome writes for 4xx answers that are the protocol working
 * as designed (see app/web/README.md), matched by URL and status.
 */
export const EXPECTED_4XX = [
  { url: /\/v1\/upload\/prove$/, status: 403, why: 'PROOF_REJECTED: new content is sent in chunks' },
  { url: /\/v1\/share\/open$/, status: 403, why: 'CODE_WRONG: the first open has no code, then a wrong code' },
  { url: /\/v1\/upload\/init$/, status: 409, why: 'NAME_CONFLICT: the upload asks the user what to do with a taken name' },
  { url: /\/v1\/file\/mkdir$/, status: 409, why: 'NAME_CONFLICT: a folder upload merges into the folder of that name' },
];

/** 4xx a step provokes on purpose (a wrong password), on top of EXPECTED_4XX; the step empties it after. */
export const expectNow = [];

/** While on, the browser's lines for requests that got no answer are expected (the server is stopped on purpose). */
export const outage = { on: false };

function expectedConsole(msg) {
  if (outage.on && /^Failed to load resource: net::ERR_/.test(msg.text())) return { status: 0, why: 'the server is stopped on purpose' };
  const m = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(msg.text());
  if (!m) return null;
  const status = Number(m[1]);
  const url = msg.location().url ?? '';
  return [...EXPECTED_4XX, ...expectNow].find((e) => e.status === status && e.url.test(new URL(url, 'http://x').pathname)) ?? null;
}

/**
 * Records console.error lines and uncaught page errors that are not among
 * EXPECTED_4XX into problems (an array shared by the run). Expected ones go
 * to expected, so a test can check they did happen.
 */
export function watchConsole(page, label, problems, expected = []) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const hit = expectedConsole(msg);
    if (hit) expected.push({ label, url: msg.location().url, status: hit.status });
    else problems.push(`${label}: console.error: ${msg.text()} (${msg.location().url ?? '?'})`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: uncaught: ${err.stack ?? err}`));
  // A page that leaves with an upload running asks first; the tests mean it.
  page.on('dialog', (d) => void (d.type() === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => undefined));
}

let shotNo = 0;
/** Writes screenshots/NN-name.png; returns its path. */
export async function shot(page, name) {
  shotNo++;
  const file = path.join(shotsDir, `${shotPrefix}${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}

/** A file of random bytes (written in 1 MiB pieces); returns its path. */
export async function makeFile(dir, name, size) {
  const p = path.join(dir, name);
  const fh = await open(p, 'w');
  try {
    const piece = 1 << 20;
    for (let off = 0; off < size; off += piece) await fh.write(randomBytes(Math.min(piece, size - off)));
  } finally {
    await fh.close();
  }
  return p;
}

export function sha256File(p) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(p)
      .on('error', reject)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** The chunk PUTs of the upload protocol: PUT /v1/upload/{id}/{index}. */
export const CHUNK_PUT = /\/v1\/upload\/[^/]+\/(\d+)$/;

export function chunkIndex(url) {
  const m = CHUNK_PUT.exec(new URL(url).pathname);
  return m ? Number(m[1]) : null;
}

/** Counts the chunk PUTs a page sends (by index) from now on. */
export function countChunkPuts(page) {
  const sent = [];
  const on = (req) => {
    if (req.method() === 'PUT' && /\/v1\/upload\//.test(new URL(req.url()).pathname)) sent.push(chunkIndex(req.url()));
  };
  page.on('request', on);
  return { sent, stop: () => page.off('request', on) };
}

/**
 * Holds chunk PUTs: the first `pass` go through, the rest wait until
 * release() (or are left to die with the page on a reload).
 */
export async function holdChunks(page, pass) {
  const passed = [];
  const held = [];
  const finished = new Set();
  const onFinished = async (req) => {
    if (req.method() !== 'PUT' || chunkIndex(req.url()) === null) return;
    const res = await req.response().catch(() => null);
    if (res && res.ok()) finished.add(chunkIndex(req.url()));
  };
  page.on('requestfinished', onFinished);
  const handler = async (route) => {
    const req = route.request();
    if (req.method() !== 'PUT') return route.fallback();
    if (passed.length < pass) {
      passed.push(chunkIndex(req.url()));
      return route.continue();
    }
    held.push(route);
  };
  await page.route(CHUNK_PUT, handler);
  return {
    passed,
    held,
    finished,
    /** Lets the held PUTs (and any later ones) go. */
    async release() {
      await page.unroute(CHUNK_PUT, handler);
      page.off('requestfinished', onFinished);
      for (const r of held.splice(0)) await r.continue().catch(() => undefined);
    },
    /** Stops intercepting without answering the held PUTs (the page goes away). */
    async drop() {
      page.off('requestfinished', onFinished);
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    },
  };
}

/** Polls fn until it returns a truthy value. */
export async function until(fn, what, timeout = 20_000, every = 100) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}
