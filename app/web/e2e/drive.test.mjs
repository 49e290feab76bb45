// The drive in a real browser (Debian's headless Chromium through
// playwright-core) against the standalone binary: register, folders, a
// 50 MB upload with its progress, a reload in the middle of an upload and
// its resumption, instant upload through the proof for a second user, a
// share with a code opened signed out (wrong code, right code, download),
// saving it into another account, and the owner's notification.
//
// The steps build on each other and run in order; after a failed step the
// rest are skipped. Every step fails when the pages logged a console error
// or threw, apart from the protocol's expected 4xx (harness EXPECTED_4XX).
// Screenshots: e2e-output/screenshots/.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  countChunkPuts,
  holdChunks,
  launchBrowser,
  makeFile,
  outDir,
  resetOutput,
  sha256File,
  shot,
  startServer,
  until,
  watchConsole,
} from './harness.mjs';

const MiB = 1 << 20;
const BIG = 'big-50MB.bin';
const BIG_SIZE = 50 * MiB;
const RESUMED = 'resume-40MB.bin';
const RESUMED_SIZE = 40 * MiB;
const PASSWORD = 'correct-horse-42';
const ALICE = 'alice';
const BOB = 'bob';
// Real pictures for the thumbnails and the gallery (made with ffmpeg).
const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const PICTURES = ['photo.jpg', 'shot.png', 'poster.webp'];

const problems = []; // unexpected console errors and page errors
const expected4xx = []; // the expected ones, for the record
let server;
let browser;
let files; // temp folder with the files to upload
let bigPath;
let resumedPath;
let alice; // { ctx, page }
let bob;
let visitor;
let share; // { link, code }

let failed = false;
/** A step of the story: skipped after a failure; fails on new console problems. */
function step(name, fn, timeout = 120_000) {
  it(name, { timeout }, async (t) => {
    if (failed) return t.skip('an earlier step failed');
    const seen = problems.length;
    try {
      await fn(t);
      assert.deepEqual(problems.slice(seen), [], 'console errors or page errors during the step');
    } catch (e) {
      failed = true;
      // What each browser showed when it went wrong.
      for (const [who, u] of [[ALICE, alice], [BOB, bob], ['visitor', visitor]]) {
        if (u && !u.page.isClosed()) await shot(u.page, `FAILED-${who}`).catch(() => undefined);
      }
      throw e;
    }
  });
}

async function newUser(label) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', colorScheme: 'light', acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  watchConsole(page, label, problems, expected4xx);
  return { ctx, page };
}

const item = (page, name) => page.locator(`[data-testid="file-item"][data-name="${name}"]`);
const uploadItem = (page, name) => page.locator(`[data-testid="upload-item"][data-name="${name}"]`);

async function register(page, username) {
  await page.goto(`${server.url}/register`);
  await page.getByTestId('register-username').fill(username);
  await page.getByTestId('register-email').fill(`${username}@example.com`);
  await page.getByTestId('register-password').fill(PASSWORD);
  await page.getByTestId('register-confirm').fill(PASSWORD);
  await shot(page, `register-${username}`);
  await page.getByTestId('register-submit').click();
  await page.getByTestId('drive').waitFor();
  await page.getByTestId('empty-folder').waitFor();
}

async function openFolder(page, name) {
  await item(page, name).getByTestId('file-name').click();
  await page.getByTestId('breadcrumbs').getByText(name).waitFor();
}

/** Records every value of the total progress (data-progress) the panel shows. */
async function recordProgress(page) {
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__progress = [];
    clearInterval(w.__progressTimer);
    w.__progressTimer = setInterval(() => {
      const el = document.querySelector('[data-testid="upload-progress"]');
      if (!el) return;
      const v = Number(el.getAttribute('data-progress'));
      if (w.__progress[w.__progress.length - 1] !== v) w.__progress.push(v);
    }, 5);
  });
}

async function recordedProgress(page) {
  return page.evaluate(() => {
    const w = /** @type {any} */ (window);
    clearInterval(w.__progressTimer);
    return w.__progress;
  });
}

async function progressNow(page) {
  return Number(await page.getByTestId('upload-progress').getAttribute('data-progress'));
}

describe('clouddrive in the browser', { concurrency: false }, () => {
  before(async () => {
    await resetOutput();
    files = await mkdtemp(path.join(os.tmpdir(), 'clouddrive-e2e-files-'));
    [bigPath, resumedPath] = await Promise.all([makeFile(files, BIG, BIG_SIZE), makeFile(files, RESUMED, RESUMED_SIZE)]);
    server = await startServer();
    browser = await launchBrowser();
  }, { timeout: 60_000 });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (files) await rm(files, { recursive: true, force: true });
    if (expected4xx.length) console.log(`expected 4xx console lines: ${expected4xx.map((e) => `${e.status} ${new URL(e.url).pathname}`).join(', ')}`);
  }, { timeout: 60_000 });

  step('registers a user and lands on an empty drive', async () => {
    alice = await newUser(ALICE);
    await register(alice.page, ALICE);
    await shot(alice.page, 'drive-empty');
  });

  step('creates folders', async () => {
    const { page } = alice;
    for (const name of ['Documents', 'Photos']) {
      await page.getByTestId('new-folder').click();
      await page.getByTestId('new-folder-input').fill(name);
      await page.getByTestId('new-folder-submit').click();
      await item(page, name).waitFor();
    }
    assert.equal(await item(page, 'Documents').getAttribute('data-kind'), 'folder');
    assert.equal(await item(page, 'Photos').getAttribute('data-kind'), 'folder');
    await shot(page, 'folders');
    // The next uploads go into Documents, a folder of its own.
    await openFolder(page, 'Documents');
  });

  step('uploads a 50 MB file and its progress reaches 100%', async () => {
    const { page } = alice;
    // Hold the chunks after the third, so the progress is caught half way.
    const hold = await holdChunks(page, 3);
    const puts = countChunkPuts(page);
    const init = page.waitForResponse((r) => r.url().endsWith('/v1/upload/init'));
    await page.getByTestId('upload-input').setInputFiles(bigPath);
    await page.getByTestId('upload-panel').waitFor();
    await recordProgress(page);
    const session = await (await init).json();
    const chunks = Number(session.chunk_count);
    assert.ok(chunks > 3, `a 50 MB file is more than 3 chunks (got ${chunks})`);
    await until(() => hold.finished.size === 3 && hold.held.length > 0, 'three chunks sent, the next ones held', 60_000);
    await until(async () => (await progressNow(page)) > 0, 'progress above 0');
    const mid = await progressNow(page);
    assert.ok(mid > 0 && mid < 100, `half-way progress (${mid}%)`);
    assert.equal(await uploadItem(page, BIG).getAttribute('data-state'), 'uploading');
    await shot(page, 'upload-in-progress');
    await hold.release();
    await uploadItem(page, BIG).and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="upload-progress"][data-progress="100"]').waitFor();
    const seen = await recordedProgress(page);
    puts.stop();
    assert.equal(seen.at(-1), 100, `progress ends at 100 (${seen})`);
    assert.ok(
      seen.every((v, i) => i === 0 || v >= seen[i - 1]),
      `progress never goes back (${seen})`,
    );
    assert.ok(seen.some((v) => v > 0 && v < 100), `progress was seen between 0 and 100 (${seen})`);
    assert.deepEqual([...puts.sent].sort((a, b) => a - b), [...Array(chunks).keys()], 'every chunk sent once');
    await item(page, BIG).waitFor();
    await shot(page, 'upload-done');
  });

  step('resumes an upload after a reload, sending only the missing chunks', async () => {
    const { page } = alice;
    await page.getByTestId('upload-clear').click();
    const hold = await holdChunks(page, 2);
    const init = page.waitForResponse((r) => r.url().endsWith('/v1/upload/init'));
    await page.getByTestId('upload-input').setInputFiles(resumedPath);
    const session = await (await init).json();
    const uploadId = session.upload_id;
    const chunks = Number(session.chunk_count);
    assert.ok(chunks > 2, `more than 2 chunks (got ${chunks})`);
    await until(() => hold.finished.size === 2 && hold.held.length > 0, 'two chunks stored, the others held', 60_000);
    const stored = [...hold.finished].sort((a, b) => a - b);
    assert.equal(await uploadItem(page, RESUMED).getAttribute('data-state'), 'uploading');
    await shot(page, 'upload-before-reload');

    // Reload with the other PUTs still held: they die with the page.
    const status = page.waitForResponse((r) => r.url().includes('/v1/upload/status'));
    await page.reload();
    await hold.drop();
    await status;
    const waiting = uploadItem(page, RESUMED);
    await waiting.and(page.locator('[data-state="needs-file"]')).waitFor();
    await page.getByTestId('upload-repick').waitFor();
    // The panel knows from the server how far it got.
    const size = Number(session.chunk_size);
    const storedBytes = stored.reduce((n, i) => n + Math.min(size, RESUMED_SIZE - i * size), 0);
    const shown = `${(storedBytes / MiB).toFixed(1)} MB / ${(RESUMED_SIZE / MiB).toFixed(1)} MB`;
    await until(async () => (await waiting.innerText()).includes(shown), `"${shown}" in the panel`, 5_000);
    await shot(page, 'upload-after-reload');

    // Picking the same file again resumes the same session.
    const puts = countChunkPuts(page);
    const urls = [];
    const onReq = (r) => r.method() === 'PUT' && urls.push(r.url());
    page.on('request', onReq);
    await page.getByTestId('upload-input').setInputFiles(resumedPath);
    await waiting.and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    puts.stop();
    page.off('request', onReq);
    const missing = [...Array(chunks).keys()].filter((i) => !stored.includes(i));
    assert.deepEqual([...puts.sent].sort((a, b) => a - b), missing, `only the missing chunks are sent (stored: ${stored})`);
    assert.ok(
      urls.every((u) => u.includes(`/v1/upload/${uploadId}/`)),
      'the chunks go to the session started before the reload',
    );
    await item(page, RESUMED).waitFor();
    await shot(page, 'upload-resumed-done');
  });

  step('a second user uploads the same file instantly: sending stops once the hash proves it stored', async () => {
    bob = await newUser(BOB);
    await register(bob.page, BOB);
    const { page } = bob;
    // A file this large is sent at once while it is hashed; hold every
    // chunk so none lands before the hash is known.
    const hold = await holdChunks(page, 0);
    const init = page.waitForResponse((r) => r.url().endsWith('/v1/upload/init'));
    const prove = page.waitForResponse((r) => r.url().endsWith('/v1/upload/prove'));
    await page.getByTestId('upload-input').setInputFiles(bigPath);
    const chunked = (await (await init).json()).upload_id;
    const aborted = page.waitForRequest((r) => r.url().endsWith('/v1/upload/abort') && r.postDataJSON()?.upload_id === chunked);
    assert.equal((await prove).status(), 200, 'the proof is accepted');
    await uploadItem(page, BIG).and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    await uploadItem(page, BIG).getByText('Done instantly').waitFor();
    await aborted; // the chunked session started before the hash is cancelled
    assert.ok(hold.held.length > 0, 'the sending had started before the hash was known');
    assert.equal(hold.finished.size, 0, 'no chunk stored');
    await hold.drop();
    await item(page, BIG).waitFor();
    await shot(page, 'instant-upload');
  });

  step('shares the file with a code', async () => {
    const { page } = alice;
    await item(page, BIG).getByTestId('file-menu').click();
    await page.getByTestId('menu-share').click();
    await page.getByTestId('share-dialog').waitFor();
    await page.getByTestId('share-code-random').check();
    await shot(page, 'share-dialog');
    await page.getByTestId('share-create').click();
    await page.getByTestId('share-result').waitFor();
    share = { link: await page.getByTestId('share-link').inputValue(), code: await page.getByTestId('share-code').inputValue() };
    assert.match(share.link, new RegExp(`^${server.url}/s/[^/?]+$`));
    assert.match(share.code, /^[A-Za-z0-9]{4}$/);
    await shot(page, 'share-created');
    await page.getByTestId('share-done').click();
    await page.getByTestId('share-result').waitFor({ state: 'hidden' });
  });

  step('opens the link signed out: a wrong code, then the right one, and downloads', async () => {
    visitor = await newUser('visitor');
    const { page } = visitor;
    await page.goto(share.link);
    const pin = page.getByTestId('open-code-input');
    await pin.waitFor();
    await shot(page, 'share-asks-code');

    const wrong = [...share.code].map((c) => (c === 'z' ? 'y' : 'z')).join('');
    await pin.locator('input').first().click();
    await page.keyboard.type(wrong);
    const bad = page.waitForResponse((r) => r.url().endsWith('/v1/share/open'));
    await page.getByTestId('open-code-submit').click();
    assert.equal((await bad).status(), 403);
    await page.getByTestId('open-code-error').waitFor();
    await shot(page, 'share-wrong-code');

    const boxes = pin.locator('input');
    for (let i = 0; i < 4; i++) await boxes.nth(i).fill('');
    await boxes.first().click();
    await page.keyboard.type(share.code);
    await page.getByTestId('open-code-submit').click();
    await page.getByTestId('public-share').waitFor();
    assert.equal(await page.getByTestId('share-name').innerText(), BIG);
    await shot(page, 'share-opened');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('share-download').click()]);
    const saved = path.join(outDir, 'downloads', download.suggestedFilename());
    await mkdir(path.dirname(saved), { recursive: true });
    await download.saveAs(saved);
    assert.equal(download.suggestedFilename(), BIG);
    assert.equal((await stat(saved)).size, BIG_SIZE);
    assert.equal(await sha256File(saved), await sha256File(bigPath), 'the downloaded bytes are the uploaded ones');
    await rm(path.dirname(saved), { recursive: true });
  });

  step('saves the share into another account', async () => {
    const { page } = visitor;
    await page.getByTestId('share-save').click();
    await page.getByTestId('login-form').waitFor();
    await page.getByTestId('login-username').fill(BOB);
    await page.getByTestId('login-password').fill(PASSWORD);
    await shot(page, 'sign-in-to-save');
    await page.getByTestId('login-submit').click();
    // Back on the share, still open (the share token is kept for the tab).
    await page.getByTestId('public-share').waitFor();
    await page.getByTestId('share-save').click();
    await page.getByTestId('folder-picker').waitFor();
    await shot(page, 'save-pick-folder');
    const save = page.waitForResponse((r) => r.url().endsWith('/v1/share/save'));
    await page.getByTestId('picker-confirm').click();
    assert.equal((await save).status(), 200);
    await page.getByText('Saved 1 item(s) to your drive').waitFor();
    await page.getByTestId('folder-picker').waitFor({ state: 'hidden' });
    await shot(page, 'saved');

    // Bob's drive now holds his own upload and the saved copy.
    await page.goto(`${server.url}/drive`);
    await item(page, BIG).waitFor();
    await until(async () => (await page.locator('[data-testid="file-item"][data-kind="file"]').count()) === 2, 'two files in the drive', 10_000);
    await shot(page, 'saved-in-drive');
  });

  step('the owner sees the notification', async () => {
    const { page } = alice;
    const count = page.getByTestId('notification-count');
    await until(
      async () => {
        const counted = page.waitForResponse((r) => r.url().includes('/v1/notify/unread_count'));
        await page.reload();
        await counted;
        return Number(await count.getAttribute('data-count')) >= 1;
      },
      'an unread notification',
      20_000,
      500,
    );
    await shot(page, 'bell-count');
    await page.getByTestId('notification-bell').click();
    const saved = page.locator('[data-testid="notification-item"][data-kind="share_saved"]');
    await saved.first().waitFor();
    assert.equal(await saved.first().getAttribute('data-read'), 'false');
    await shot(page, 'notifications');
  });

  step('thumbnails appear in the grid for JPEG, PNG and WebP', async () => {
    const { page } = alice;
    await page.goto(`${server.url}/drive`);
    await openFolder(page, 'Photos');
    await page.getByTestId('upload-input').setInputFiles(PICTURES.map((n) => path.join(FIXTURES, n)));
    for (const n of PICTURES) await item(page, n).waitFor();
    // The grid (the choice is kept in localStorage, as the toggle does).
    await page.evaluate(() => localStorage.setItem('clouddrive.view', JSON.stringify('grid')));
    const asked = page.waitForResponse((r) => r.url().endsWith('/v1/storage/thumbnails'));
    await page.reload();
    await page.getByTestId('file-grid').waitFor();
    assert.equal((await asked).status(), 200);
    for (const n of PICTURES) {
      const img = item(page, n).getByTestId('thumbnail');
      await img.waitFor();
      await until(async () => (await img.evaluate((el) => /** @type {HTMLImageElement} */ (el).complete && /** @type {HTMLImageElement} */ (el).naturalWidth)) > 0, `${n}'s thumbnail loaded`, 20_000);
      assert.match(String(await img.getAttribute('src')), /^\/v1\/download\/thumbnail\?/);
    }
    await shot(page, 'thumbnails-grid');
  });

  step('the gallery turns with ←/→ and a swipe, and counts', async () => {
    const { page } = alice;
    const counter = page.getByTestId('gallery-counter');
    const showing = async (i, name) => {
      await until(async () => (await counter.textContent()) === `${i} / ${PICTURES.length}`, `picture ${i} of ${PICTURES.length}`, 10_000);
      assert.equal(await page.getByTestId('gallery-name').textContent(), name);
      await until(async () => (await page.getByTestId('gallery-image').evaluate((el) => /** @type {HTMLImageElement} */ (el).naturalWidth)) > 0, `${name} shown`, 10_000);
    };
    // The grid lists by name: photo.jpg, poster.webp, shot.png.
    const order = [...PICTURES].sort();
    await item(page, order[0]).getByTestId('file-name').click();
    await page.getByTestId('gallery-stage').waitFor();
    await showing(1, order[0]);
    await page.keyboard.press('ArrowRight');
    await showing(2, order[1]);
    // A swipe to the left: the next picture.
    const box = await page.getByTestId('gallery-stage').boundingBox();
    assert.ok(box);
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.7, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, y, { steps: 8 });
    await page.mouse.up();
    await showing(3, order[2]);
    await shot(page, 'gallery');
    await page.keyboard.press('ArrowLeft');
    await showing(2, order[1]);
    // Zoomed in, a drag pans instead of turning the page.
    await page.getByTestId('gallery-zoom-in').click();
    assert.ok(Number(await page.getByTestId('gallery-stage').getAttribute('data-zoom')) > 1);
    await page.mouse.move(box.x + box.width * 0.7, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, y, { steps: 8 });
    await page.mouse.up();
    await showing(2, order[1]);
    await page.keyboard.press('Escape');
    await page.getByTestId('gallery-stage').waitFor({ state: 'hidden' });
    await page.evaluate(() => localStorage.setItem('clouddrive.view', JSON.stringify('list')));
  });

  step('keeps versions of a file: lists, downloads and restores one; Recent shows the changes', async () => {
    const { page } = alice;
    const NAME = 'notes.txt';
    const drafts = ['first draft of the notes\n', 'second draft, a little longer\n', 'third draft: the longest of the three\n'];
    await page.goto(`${server.url}/drive`);
    await page.getByTestId('drive').waitFor();
    // The first content through the app's uploader.
    const first = path.join(files, NAME);
    await writeFile(first, drafts[0]);
    await page.getByTestId('upload-input').setInputFiles(first);
    await item(page, NAME).waitFor();
    // The app's uploader asks on a clash (ui.test.mjs covers it); writing
    // over a name is what sync clients and the API do, so the next two
    // contents go through the single-request upload with the server's
    // default for an existing file: a new version.
    for (const body of drafts.slice(1)) {
      const status = await page.evaluate(async ([name, text]) => {
        const tok = JSON.parse(localStorage.getItem('clouddrive.session') ?? '{}').access_token;
        const r = await fetch(`/v1/upload/file?name=${encodeURIComponent(name)}`, { method: 'PUT', headers: { Authorization: `Bearer ${tok}` }, body: text });
        return r.status;
      }, [NAME, body]);
      assert.equal(status, 200, 'the overwrite is accepted');
    }
    await page.reload();
    await item(page, NAME).waitFor();
    assert.equal(await item(page, NAME).count(), 1, 'one file, not copies');

    // The panel: the current content and the two it replaced.
    await item(page, NAME).getByTestId('file-menu').click();
    await page.getByTestId('menu-versions').click();
    const panel = page.getByTestId('versions-panel');
    const rows = panel.getByTestId('version-row');
    await until(async () => (await rows.count()) === 3, 'three versions listed');
    const sizes = await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-size'))));
    assert.deepEqual(sizes, [drafts[2].length, drafts[1].length, drafts[0].length], 'current first, then the latest replaced');
    assert.equal(await rows.nth(0).getAttribute('data-current'), 'true');
    assert.equal(await rows.nth(0).getByTestId('version-restore').count(), 0, 'the current one has no restore');
    await shot(page, 'versions-panel');

    // Download the oldest: its bytes are the first draft's.
    const [download] = await Promise.all([page.waitForEvent('download'), rows.nth(2).getByTestId('version-download').click()]);
    const saved = path.join(outDir, 'downloads', `oldest-${download.suggestedFilename()}`);
    await mkdir(path.dirname(saved), { recursive: true });
    await download.saveAs(saved);
    assert.equal(await readFile(saved, 'utf8'), drafts[0], 'the oldest version downloads as it was');
    await rm(path.dirname(saved), { recursive: true });

    // Restore the oldest: it becomes current, and what it replaced is kept.
    await rows.nth(2).getByTestId('version-restore').click();
    const current = panel.locator('[data-testid="version-row"][data-current="true"]');
    await until(async () => Number(await current.getAttribute('data-size')) === drafts[0].length, 'the restored content is current');
    assert.ok((await rows.count()) >= 3, 'the replaced contents are still listed');
    assert.ok((await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-size'))))).includes(drafts[2].length), 'the third draft is kept');
    await shot(page, 'versions-restored');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });

    // The file's preview shows the restored content.
    await item(page, NAME).getByTestId('file-name').click();
    await until(async () => (await page.getByTestId('preview-text').textContent()) === drafts[0], 'the preview shows the first draft');
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'hidden' });

    // Recent: the file's changes, newest first; a click opens its folder.
    await page.getByTestId('nav-recent').click();
    await page.getByTestId('recent-page').waitFor();
    const mine = page.locator(`[data-testid="recent-item"][data-name="${NAME}"]`);
    await until(async () => (await mine.count()) >= 4, 'the changes to the file are listed');
    const types = await mine.evaluateAll((els) => els.map((el) => el.getAttribute('data-type')));
    assert.deepEqual(types.slice(0, 4), ['version_restored', 'version', 'version', 'created']);
    await shot(page, 'recent');
    await mine.first().click();
    await page.waitForURL(/\/drive$/);
    await item(page, NAME).waitFor();
  });

  step('no console errors beyond the expected 4xx', async () => {
    assert.deepEqual(problems, []);
    // The expected ones did happen: the proof refused for new content, the
    // share opened without a code and with a wrong one.
    assert.ok(expected4xx.some((e) => e.url.endsWith('/v1/upload/prove')));
    assert.ok(expected4xx.some((e) => e.url.endsWith('/v1/share/open')));
  });
});
