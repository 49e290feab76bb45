// The rough edges a person meets in the first ten minutes, in a real
// browser against the standalone binary (a server of its own): a drag onto
// a folder lands there; a 300 MB upload never blocks the page (main-thread
// long tasks measured) and pauses within a second; a server stopped
// mid-upload shows the retry state and the upload finishes after the
// restart; name conflicts ask (replace, keep both, skip, apply to all) on
// upload, move and restore; search says where each result lives; sorting
// on the grid and the phone; Chinese errors with no English sentence; and
// screenshots of every screen at 1440×900 and 390×844 in both languages.
//
// E2E_STEPS=regex runs only the steps whose names match (plus the set-up).
// Screenshots: e2e-output/screenshots/ui/.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectNow, holdChunks, launchBrowser, makeFile, outage, resetOutput, shot, startServer, until, watchConsole } from './harness.mjs';

const MiB = 1 << 20;
const PASSWORD = 'correct-horse-42';
const USER = 'carol';
const only = process.env.E2E_STEPS ? new RegExp(process.env.E2E_STEPS) : null;

const problems = [];
const expected4xx = [];
let server;
let browser;
let files;
let me; // { ctx, page }
let shareLink;

let failed = false;
function step(name, fn, { timeout = 180_000, always = false } = {}) {
  it(name, { timeout }, async (t) => {
    if (only && !always && !only.test(name)) return t.skip('not in E2E_STEPS');
    if (failed) return t.skip('an earlier step failed');
    const seen = problems.length;
    try {
      await fn(t);
      assert.deepEqual(problems.slice(seen), [], 'console errors or page errors during the step');
    } catch (e) {
      failed = true;
      if (me && !me.page.isClosed()) await shot(me.page, 'FAILED').catch(() => undefined);
      throw e;
    }
  });
}

async function newContext(label, { width = 1280, height = 800, lang = 'en' } = {}) {
  const ctx = await browser.newContext({
    viewport: { width, height },
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    colorScheme: 'light',
    acceptDownloads: true,
    hasTouch: width < 600,
    isMobile: width < 600,
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  watchConsole(page, label, problems, expected4xx);
  return { ctx, page };
}

const item = (page, name) => page.locator(`[data-testid="file-item"][data-name="${name}"]`);
const uploadItem = (page, name) => page.locator(`[data-testid="upload-item"][data-name="${name}"]`);
const names = (page) => page.getByTestId('file-item').evaluateAll((els) => els.map((el) => el.getAttribute('data-name')));

async function signIn(page) {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(USER);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('drive').waitFor();
}

async function openFolder(page, name) {
  await item(page, name).getByTestId('file-name').click();
  await page.getByTestId('breadcrumbs').getByText(name).waitFor();
}

async function goRoot(page) {
  await page.goto(`${server.url}/drive`);
  await page.getByTestId('drive').waitFor();
}

async function mkdir(page, name) {
  await page.getByTestId('new-folder').click();
  await page.getByTestId('new-folder-input').fill(name);
  await page.getByTestId('new-folder-submit').click();
  await item(page, name).waitFor();
}

/** The API with the page's session (for checks the screen does not show). */
function api(page, method, url, body) {
  return page.evaluate(
    async ([m, u, b]) => {
      const tok = JSON.parse(localStorage.getItem('clouddrive.session') ?? '{}').access_token;
      const r = await fetch(u, { method: m, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: b ? JSON.stringify(b) : undefined });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    [method, url, body],
  );
}

function textFile(name, body) {
  return { name, mimeType: 'text/plain', buffer: Buffer.from(body) };
}

async function upload(page, ...payloads) {
  await page.getByTestId('upload-input').setInputFiles(payloads);
}

async function uploaded(page, name, state = 'done') {
  await uploadItem(page, name).and(page.locator(`[data-state="${state}"]`)).last().waitFor({ timeout: 60_000 });
}

describe('the rough edges, in the browser', { concurrency: false }, () => {
  before(async () => {
    await resetOutput('ui');
    files = await mkdtemp(path.join(os.tmpdir(), 'clouddrive-e2e-ui-'));
    server = await startServer('ui-server.log');
    browser = await launchBrowser();
  }, { timeout: 60_000 });

  after(async () => {
    outage.on = false;
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (files) await rm(files, { recursive: true, force: true });
  }, { timeout: 60_000 });

  step('sets up a user with folders, files and a share', async () => {
    me = await newContext(USER);
    const { page } = me;
    await page.goto(`${server.url}/register`);
    await page.getByTestId('register-username').fill(USER);
    await page.getByTestId('register-email').fill(`${USER}@example.com`);
    await page.getByTestId('register-password').fill(PASSWORD);
    await page.getByTestId('register-confirm').fill(PASSWORD);
    await page.getByTestId('register-submit').click();
    await page.getByTestId('empty-folder').waitFor();
    for (const n of ['Work', 'Photos']) await mkdir(page, n);
    await upload(page, textFile('a.txt', 'the report\n'), textFile('notes.md', '# notes\n\nsome *notes*\n'));
    await item(page, 'a.txt').waitFor();
    await item(page, 'notes.md').waitFor();
    await page.getByTestId('upload-clear').click();
    const list = await api(page, 'GET', '/v1/file/list');
    const notes = list.body.items.find((n) => n.name === 'notes.md');
    const created = await api(page, 'POST', '/v1/share/create', { node_id: notes.id });
    assert.equal(created.status, 200);
    shareLink = `${server.url}/s/${created.body.token}`;
  }, { always: true });

  step('a drag onto a folder lands there, with the selection bar over the list', async () => {
    const { page } = me;
    await goRoot(page);
    const target = item(page, 'Work');
    const before = await target.boundingBox();
    // Selecting a row brings the selection bar: it overlays, the rows stay put.
    await item(page, 'a.txt').locator('input[type="checkbox"]').check();
    await page.getByTestId('selection-bar').waitFor();
    assert.deepEqual(await target.boundingBox(), before, 'the folder row did not move when the selection bar appeared');
    await item(page, 'a.txt').dragTo(target);
    const toast = page.getByTestId('move-toast');
    await toast.waitFor();
    assert.match(await toast.innerText(), /a\.txt.*Work/s, 'the toast names the file and where it went');
    await item(page, 'a.txt').waitFor({ state: 'detached' });
    await shot(page, 'dragged');
    await openFolder(page, 'Work');
    await item(page, 'a.txt').waitFor();
    await goRoot(page);
    await openFolder(page, 'Photos');
    assert.equal(await item(page, 'a.txt').count(), 0, 'not in the other folder');
  });

  step('a 300 MB upload leaves no main-thread task over 500 ms, and pause acts within 1 s', async () => {
    const { page } = me;
    await goRoot(page);
    await mkdir(page, 'Big');
    await openFolder(page, 'Big');
    const big = await makeFile(files, 'big-300MB.bin', 300 * MiB);
    const supported = await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.__long = [];
      if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) return false;
      w.__longObs = new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.__long.push(Math.round(e.duration));
      });
      w.__longObs.observe({ type: 'longtask' });
      return true;
    });
    assert.ok(supported, 'the browser reports long tasks');
    // The PUTs in flight, to tell when pause has stopped them.
    const open = new Set();
    const started = [];
    const onReq = (r) => {
      if (r.method() === 'PUT' && /\/v1\/upload\/[^/]+\/\d+$/.test(r.url())) {
        open.add(r);
        started.push(Date.now());
      }
    };
    const onEnd = (r) => open.delete(r);
    page.on('request', onReq);
    page.on('requestfinished', onEnd);
    page.on('requestfailed', onEnd);
    try {
      await page.getByTestId('upload-input').setInputFiles(big);
      const row = uploadItem(page, 'big-300MB.bin');
      await until(async () => Number(await page.getByTestId('upload-progress').getAttribute('data-progress')) >= 15, 'the upload at 15%', 120_000, 50);
      await until(() => open.size > 0, 'chunks in flight to pause', 20_000, 1);
      const clicked = Date.now();
      await row.getByTestId('upload-pause').click();
      await row.and(page.locator('[data-state="paused"]')).waitFor({ timeout: 1000 });
      await until(() => open.size === 0, 'the PUTs in flight stopped within 1 s of the click', 1000, 20);
      const stoppedIn = Date.now() - clicked;
      await shot(page, 'paused');
      // A second later still nothing is sent.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(started.filter((t) => t > clicked + 1000), [], 'no PUT started after the pause');
      await row.getByTestId('upload-resume').click();
      await uploaded(page, 'big-300MB.bin');
      const long = await page.evaluate(() => {
        const w = /** @type {any} */ (window);
        w.__longObs.disconnect();
        return w.__long;
      });
      console.log(`300 MB upload: pause stopped the PUTs in ${stoppedIn} ms; long tasks (ms): ${JSON.stringify(long)}`);
      // Long tasks are wall time: on a loaded machine the renderer is
      // descheduled inside a task (one of 276 ms was seen at load 16 where a
      // quiet run's longest is ~60 ms). Hashing 300 MB on the main thread
      // would block for seconds.
      assert.ok(long.every((d) => d <= 500), `no main-thread task over 500 ms (got ${JSON.stringify(long)})`);
      await item(page, 'big-300MB.bin').waitFor();
      await shot(page, 'big-done');
    } finally {
      page.off('request', onReq);
      page.off('requestfinished', onEnd);
      page.off('requestfailed', onEnd);
      await rm(big, { force: true });
    }
  }, { timeout: 300_000 });

  step('the server stopped mid-upload: the panel says it retries, and the upload finishes after the restart', async (t) => {
    if (!server.halt) return t.skip('the cluster is not the suite to stop');
    const { page } = me;
    await goRoot(page);
    await page.getByTestId('upload-clear').click().catch(() => undefined);
    const f = await makeFile(files, 'outage-40MB.bin', 40 * MiB);
    const hold = await holdChunks(page, 2);
    await page.getByTestId('upload-input').setInputFiles(f);
    await until(() => hold.finished.size === 2 && hold.held.length > 0, 'two chunks stored, the others held', 60_000);
    outage.on = true;
    try {
      await server.halt();
      await hold.release(); // they meet a stopped server
      const row = uploadItem(page, 'outage-40MB.bin');
      await row.and(page.locator('[data-retrying="true"]')).waitFor({ timeout: 20_000 });
      assert.match(await row.innerText(), /Connection lost — retrying in \d+ s/);
      assert.doesNotMatch(await page.getByTestId('upload-panel').innerText(), /\d+:\d\d left/, 'no time left while nothing moves');
      await shot(page, 'retrying');
      await server.resume();
      await uploaded(page, 'outage-40MB.bin');
    } finally {
      outage.on = false;
      await rm(f, { force: true });
    }
    await item(page, 'outage-40MB.bin').waitFor();
    await shot(page, 'after-restart');
  });

  step('a name conflict asks: replace, keep both, skip, and apply to all — on upload, move and restore', async () => {
    const { page } = me;
    const dialog = page.getByTestId('conflict-body');
    const answer = async (name, choice, all = false) => {
      await dialog.waitFor();
      // Two files of a batch run at once: either may ask first.
      assert.ok([name].flat().includes(await dialog.getAttribute('data-name')), `the question names ${name}`);
      if (all) await page.getByTestId('conflict-all').check();
      await page.getByTestId(`conflict-${choice}`).click();
      await dialog.waitFor({ state: 'hidden' });
    };
    const sizeOf = async (folder, name) => {
      const list = await api(page, 'GET', `/v1/file/list?parent_id=${folder}`);
      return list.body.items.filter((n) => n.name === name).map((n) => Number(n.size));
    };
    await goRoot(page);
    await mkdir(page, 'Clash');
    await openFolder(page, 'Clash');
    const folder = new URL(page.url()).pathname.split('/').pop();
    await upload(page, textFile('x.txt', 'one\n'));
    await uploaded(page, 'x.txt');

    // Upload onto a taken name: replace makes a new version under the name.
    await upload(page, textFile('x.txt', 'second!\n'));
    await dialog.waitFor();
    await shot(page, 'conflict-dialog');
    await answer('x.txt', 'replace');
    await until(async () => JSON.stringify(await sizeOf(folder, 'x.txt')) === '[8]', 'x.txt replaced by the second content');
    const versions = await api(page, 'GET', `/v1/file/versions?node_id=${(await api(page, 'GET', `/v1/file/list?parent_id=${folder}`)).body.items.find((n) => n.name === 'x.txt').id}`);
    assert.deepEqual((versions.body.versions ?? []).map((v) => Number(v.size)), [4], `the old content is kept as a version (${JSON.stringify(versions.body)})`);
    // Keep both: a numbered name.
    await upload(page, textFile('x.txt', 'third\n'));
    await answer('x.txt', 'keep');
    await item(page, 'x (1).txt').waitFor();
    // Skip: nothing arrives, the row says so.
    await page.getByTestId('upload-clear').click();
    await upload(page, textFile('x.txt', 'fourth\n'));
    await answer('x.txt', 'skip');
    await uploaded(page, 'x.txt', 'skipped');
    assert.deepEqual((await names(page)).sort(), ['x (1).txt', 'x.txt']);
    assert.deepEqual(await sizeOf(folder, 'x.txt'), [8], 'skipped: the file there is untouched');
    // Apply to all: one question for the batch.
    await page.getByTestId('upload-clear').click();
    await upload(page, textFile('y.txt', 'y\n'), textFile('z.txt', 'z\n'));
    await uploaded(page, 'z.txt');
    await uploaded(page, 'y.txt');
    await page.getByTestId('upload-clear').click();
    let asked = 0;
    const count = setInterval(() => void dialog.isVisible().then((v) => v && asked++), 0);
    await upload(page, textFile('y.txt', 'yy\n'), textFile('z.txt', 'zz\n'));
    await answer(['y.txt', 'z.txt'], 'keep', true);
    await uploaded(page, 'y.txt');
    await uploaded(page, 'z.txt');
    clearInterval(count);
    await item(page, 'y (1).txt').waitFor();
    await item(page, 'z (1).txt').waitFor();
    assert.equal(await dialog.isVisible(), false, 'no second question');
    await shot(page, 'conflicts-uploaded');

    // Move onto a taken name: replace sends the one there to the trash.
    await goRoot(page);
    await openFolder(page, 'Work');
    const work = new URL(page.url()).pathname.split('/').pop();
    await upload(page, textFile('m.txt', 'old memo\n'));
    await uploaded(page, 'm.txt');
    await goRoot(page);
    await upload(page, textFile('m.txt', 'the newer memo\n'));
    await uploaded(page, 'm.txt');
    await item(page, 'm.txt').waitFor();
    await item(page, 'm.txt').dragTo(item(page, 'Work'));
    await answer('m.txt', 'replace');
    await page.getByTestId('move-toast').waitFor();
    await item(page, 'm.txt').waitFor({ state: 'detached' });
    assert.deepEqual(await sizeOf(work, 'm.txt'), [15], 'the moved one is there, alone');

    // Restore onto a taken name: keep both brings it back beside, renamed.
    await page.getByTestId('nav-trash').click();
    await page.getByTestId('trash-page').waitFor();
    await page.locator('[data-testid="trash-item"][data-name="m.txt"]').click();
    await page.getByTestId('trash-restore').click();
    await answer('m.txt', 'keep');
    await page.locator('[data-testid="trash-item"][data-name="m.txt"]').waitFor({ state: 'detached' });
    await page.goto(`${server.url}/drive/${work}`);
    await item(page, 'm (1).txt').waitFor();
    assert.deepEqual((await names(page)).filter((n) => n.startsWith('m')).sort(), ['m (1).txt', 'm.txt'], 'restored into its folder, not the root');
    assert.deepEqual(await sizeOf(work, 'm (1).txt'), [9], 'the old memo came back');
    await shot(page, 'conflict-restored');
  });

  step('search shows where each result lives and opens it', async () => {
    const { page } = me;
    await goRoot(page);
    await page.getByTestId('search-input').fill('m (1)');
    await page.getByTestId('search-input').press('Enter');
    await page.getByTestId('search-page').waitFor();
    const hit = page.getByTestId('search-results').locator('[data-testid="file-item"][data-name="m (1).txt"]');
    await hit.waitFor();
    // The folder's path arrives after the results ("My files / …" meanwhile).
    await until(async () => /My files \/ Work/.test(await hit.getByTestId('search-location').innerText()), 'the location "My files / Work"');
    await shot(page, 'search');
    await hit.getByTestId('open-location').click();
    await page.getByTestId('breadcrumbs').getByText('Work').waitFor();
    await item(page, 'm (1).txt').waitFor();
  });

  step("the public page of a shared folder shows its pictures' thumbnails", async () => {
    const { page } = me;
    await goRoot(page);
    await mkdir(page, 'Holiday');
    await openFolder(page, 'Holiday');
    const jpeg = await readFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'photo.jpg'));
    await upload(page, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: jpeg }, textFile('plan.txt', 'the plan\n'));
    await uploaded(page, 'photo.jpg');
    await uploaded(page, 'plan.txt');
    await page.getByTestId('upload-clear').click();
    const list = await api(page, 'GET', '/v1/file/list');
    const holiday = list.body.items.find((n) => n.name === 'Holiday');
    const created = await api(page, 'POST', '/v1/share/create', { node_id: holiday.id, generate_code: true });
    assert.equal(created.status, 200);
    // A visitor, signed out, with the code.
    const v = await newContext('share-visitor');
    try {
      await v.page.goto(`${server.url}/s/${created.body.token}?code=${created.body.code}`);
      const asked = v.page.waitForResponse((r) => r.url().endsWith('/v1/share/thumbnails'));
      const photo = v.page.locator('[data-testid="share-entry"][data-name="photo.jpg"]');
      await photo.waitFor();
      assert.equal((await asked).status(), 200);
      const img = photo.getByTestId('thumbnail');
      await img.waitFor();
      await until(async () => (await img.evaluate((el) => /** @type {HTMLImageElement} */ (el).complete && /** @type {HTMLImageElement} */ (el).naturalWidth)) > 0, "photo.jpg's thumbnail loaded", 20_000);
      assert.match(String(await img.getAttribute('src')), /^\/v1\/download\/thumbnail\?.*share=/);
      // The text file keeps its icon.
      const plan = v.page.locator('[data-testid="share-entry"][data-name="plan.txt"]');
      assert.equal(await plan.getByTestId('thumbnail').count(), 0);
      await shot(v.page, 'public-share-thumbnails');
      // The grid: the same thumbnail, larger (the URL is kept: no new request).
      await v.page.getByTestId('share-view-toggle').getByLabel('Grid').click();
      const tile = v.page.getByTestId('share-grid').locator('[data-testid="share-entry"][data-name="photo.jpg"]').getByTestId('thumbnail');
      await tile.waitFor();
      await until(async () => (await tile.evaluate((el) => /** @type {HTMLImageElement} */ (el).complete && /** @type {HTMLImageElement} */ (el).naturalWidth)) > 0, "photo.jpg's tile loaded", 20_000);
      await shot(v.page, 'public-share-grid');
    } finally {
      await v.ctx.close();
    }
  });

  step('sorts in the grid and on the phone, where rows show size and date', async () => {
    await goRoot(me.page);
    await mkdir(me.page, 'Sorting');
    await openFolder(me.page, 'Sorting');
    await upload(me.page, textFile('alpha.txt', 'abc'), textFile('beta.txt', 'abcdefgh'), textFile('gamma.txt', 'abcde'));
    for (const n of ['alpha.txt', 'beta.txt', 'gamma.txt']) await uploaded(me.page, n);
    const phone = await newContext('phone', { width: 390, height: 844 });
    try {
      const { page } = phone;
      await signIn(page);
      await openFolder(page, 'Sorting');
      // Size and date under each file's name; no sideways scroll.
      const details = item(page, 'beta.txt').getByTestId('file-details');
      await details.waitFor();
      assert.match(await details.innerText(), /8 B/);
      assert.match(await details.innerText(), /\d{4}|\d:\d\d/);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
      await page.getByTestId('sort-menu').click();
      await page.getByTestId('sort-by-size').click();
      await page.getByTestId('sort-menu').click();
      await page.getByTestId('sort-desc').click();
      await until(async () => JSON.stringify(await names(page)) === '["beta.txt","gamma.txt","alpha.txt"]', 'the largest first');
      const bySize = await names(page);
      await shot(page, 'phone-sorted-by-size');
      // The grid: the same menu.
      await page.evaluate(() => localStorage.setItem('clouddrive.view', JSON.stringify('grid')));
      await page.reload();
      await page.getByTestId('file-grid').waitFor();
      assert.deepEqual(await names(page), bySize, 'the grid keeps the order');
      await page.getByTestId('sort-menu').click();
      await page.getByTestId('sort-by-name').click();
      await page.getByTestId('sort-menu').click();
      await page.getByTestId('sort-asc').click();
      await until(async () => JSON.stringify(await names(page)) === '["alpha.txt","beta.txt","gamma.txt"]', 'by name');
      await page.evaluate(() => localStorage.setItem('clouddrive.view', JSON.stringify('list')));
      // The shares table: sortable, and no sideways swipe.
      await page.goto(`${server.url}/shares`);
      await page.getByTestId('share-item').first().waitFor();
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the shares fit the phone');
      await page.getByTestId('share-details').first().waitFor();
      await shot(page, 'phone-shares');
    } finally {
      await phone.ctx.close();
    }
  });

  step('errors shown in Chinese have no English sentence', async () => {
    const zh = await newContext('zh', { lang: 'zh' });
    const shown = [];
    const english = /[A-Za-z]{2,}[\s,;:'’-]+[A-Za-z]{2,}/;
    expectNow.push(
      { url: /\/v1\/user\/login$/, status: 401, why: 'a wrong password, on purpose' },
      { url: /\/v1\/user\/register$/, status: 409, why: 'a taken name, on purpose' },
      { url: /\/v1\/share\/open$/, status: 404, why: 'no such share, on purpose' },
    );
    try {
      const { page } = zh;
      await page.goto(`${server.url}/login`);
      await page.getByTestId('login-username').fill(USER);
      await page.getByTestId('login-password').fill('not-the-password');
      await page.getByTestId('login-submit').click();
      shown.push(await page.getByTestId('login-error').innerText());
      await shot(page, 'zh-login-error');

      // A weak password never reaches the server (the rules show first); a taken name does.
      await page.goto(`${server.url}/register`);
      await page.getByTestId('register-username').fill(USER);
      await page.getByTestId('register-password').fill('a much better passphrase 7');
      await page.getByTestId('register-confirm').fill('a much better passphrase 7');
      await page.getByTestId('register-submit').click();
      shown.push(await page.getByTestId('register-error').innerText());
      await shot(page, 'zh-register-error');

      await signIn(page);
      await page.getByTestId('new-folder').click();
      await page.getByTestId('new-folder-input').fill('Work');
      await page.getByTestId('new-folder-submit').click();
      const err = page.locator('.mantine-TextInput-error, [data-testid="notification"], .mantine-Notification-description').first();
      await err.waitFor();
      shown.push(await err.innerText());
      await shot(page, 'zh-folder-taken');
      await page.keyboard.press('Escape');

      await page.goto(`${server.url}/s/not-a-share-token`);
      const gone = page.getByTestId('share-unavailable');
      await gone.waitFor();
      shown.push(await gone.innerText());
      await shot(page, 'zh-share-unavailable');
    } finally {
      expectNow.length = 0;
      await zh.ctx.close();
    }
    console.log(`zh errors: ${JSON.stringify(shown)}`);
    for (const s of shown) {
      assert.ok(/[\u4e00-\u9fff]/.test(s), `in Chinese: ${s}`);
      assert.doesNotMatch(s, english, `no English sentence: ${s}`);
    }
  });

  step('screenshots of every screen at 1440×900 and 390×844, in English and Chinese', async () => {
    const screens = [
      ['drive', '/drive', 'drive'],
      ['grid', '/drive', 'file-grid'],
      ['search', '/search?q=txt', 'search-page'],
      ['recent', '/recent', 'recent-page'],
      ['trash', '/trash', 'trash-page'],
      ['shares', '/shares', 'shares-page'],
      ['received', '/received', 'received-page'],
      ['settings', '/settings', 'settings-page'],
      ['admin', '/admin', 'admin-page'],
    ];
    for (const lang of ['en', 'zh']) {
      for (const [width, height] of [
        [1440, 900],
        [390, 844],
      ]) {
        const tag = `${lang}-${width}`;
        const u = await newContext(`screens-${tag}`, { width, height, lang });
        try {
          const { page } = u;
          for (const p of ['/login', '/register']) {
            await page.goto(`${server.url}${p}`);
            await page.getByTestId(p === '/login' ? 'login-form' : 'register-form').waitFor();
            await shot(page, `${tag}-${p.slice(1)}`);
          }
          await page.goto(shareLink);
          await page.getByTestId('public-share').waitFor();
          await page.waitForLoadState('networkidle');
          await shot(page, `${tag}-public-share`);
          await signIn(page);
          for (const [name, url, id] of screens) {
            await page.evaluate((v) => localStorage.setItem('clouddrive.view', JSON.stringify(v)), name === 'grid' ? 'grid' : 'list');
            await page.goto(`${server.url}${url}`);
            await page.getByTestId(id).waitFor();
            await page.waitForLoadState('networkidle');
            await shot(page, `${tag}-${name}`);
          }
          await page.evaluate(() => localStorage.setItem('clouddrive.view', JSON.stringify('list')));
          await goRoot(page);
          await upload(page, textFile('notes.md', 'again\n'));
          await page.getByTestId('conflict-body').waitFor();
          await shot(page, `${tag}-conflict`);
          await page.getByTestId('conflict-skip').click();
          await uploaded(page, 'notes.md', 'skipped');
          await shot(page, `${tag}-upload-panel`);
        } finally {
          await u.ctx.close();
        }
      }
    }
  }, { timeout: 400_000 });

  step('no console errors beyond the expected 4xx', async () => {
    assert.deepEqual(problems, []);
  }, { always: true });
});
