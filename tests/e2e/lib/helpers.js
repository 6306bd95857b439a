'use strict';
// Page-level helpers shared by the tests: login, the menu, opening a plugin, waiting for the
// boletos, screenshots (and one for every failure), bounded polling.
const fs = require('node:fs');
const path = require('node:path');
const { SHOTS } = require('./env');

const WAIT = 15000;

// The abort signal of the test a call belongs to (kept across awaits by AsyncLocalStorage, so a
// test body abandoned at its deadline still sees its own, aborted, signal): `until` and `sleep`
// stop at once when the test hits its deadline or node:test cancels it.
const { AsyncLocalStorage } = require('node:async_hooks');
const testSignal = new AsyncLocalStorage();
function withSignal(signal, fn) { return testSignal.run(signal, fn); }
function aborted() {
  const current = testSignal.getStore();
  return current && current.aborted
    ? (current.reason instanceof Error ? current.reason : new Error(String(current.reason || 'aborted')))
    : null;
}

// Waits `ms`, or rejects as soon as the test is aborted.
function sleep(ms) {
  return new Promise((resolve, reject) => {
    const stop = aborted();
    if (stop) return reject(stop);
    const current = testSignal.getStore();
    const onAbort = () => {
      clearTimeout(timer);
      reject(current.reason instanceof Error ? current.reason : new Error(String(current.reason || 'aborted')));
    };
    const timer = setTimeout(() => { if (current) current.removeEventListener('abort', onAbort); resolve(); }, ms);
    if (current) current.addEventListener('abort', onAbort, { once: true });
  });
}

function slug(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${slug(name)}.png`);
  // A page in a background tab does not paint: bring it to the front first, or the screenshot
  // waits for a frame until its timeout.
  await page.bringToFront().catch(() => {});
  await page.screenshot({ path: file, fullPage: true, timeout: 10000 }).catch((e) => {
    process.stderr.write(`e2e: screenshot ${file} failed: ${e.message.split('\n')[0]}\n`);
  });
  return file;
}

// Runs `fn`; on failure saves a screenshot of every open page of `browsers`, then rethrows
// with the screenshot paths added to the message.
async function withShots(testName, browsers, fn) {
  try {
    return await fn();
  } catch (error) {
    const files = [];
    let n = 0;
    for (const b of browsers()) {
      for (const page of b.pages()) {
        if (page.url() === 'about:blank') continue;
        files.push(await shot(page, `FAILED-${slug(testName).slice(0, 60)}-${++n}`));
      }
    }
    if (files.length) {
      const note = `\n  screenshots: ${files.join(', ')}`;
      process.stderr.write(`e2e: failure screenshots:${note}\n`);
      error.message += note;
      // The test reporter prints the stack, which captured the message when it was made.
      if (typeof error.stack === 'string' && !error.stack.includes(note)) error.stack = `${error.stack}${note}`;
    }
    throw error;
  }
}

async function until(what, fn, { timeout = WAIT, every = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    const stop = aborted();
    if (stop) throw stop;
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(every);
  }
}

async function login(page, portal, who) {
  await page.goto(`${portal}/login?as=${who}`, { waitUntil: 'load' });
  const url = new URL(page.url());
  if (url.origin !== portal || url.pathname !== '/') {
    throw new Error(`login as ${who}: expected to land on ${portal}/, got ${page.url()}`);
  }
  const person = await page.locator('#who').getAttribute('data-person', { timeout: WAIT });
  if (person !== who) throw new Error(`login as ${who}: the portal says the person is ${person}`);
}

async function menuIds(page) {
  return page.$$eval('a.plugin-link', (as) => as.map((a) => a.dataset.plugin));
}

// The plugin iframe's current frame. After the frame moved between processes (vendor.test →
// about:srcdoc → vendor.test), the element handle's contentFrame() can stay on a detached frame:
// then the page's one attached child frame is it.
async function pluginFrame(page) {
  const handle = await page.waitForSelector('#plugin-frame', { state: 'attached', timeout: WAIT });
  return until('the plugin iframe to have a frame', async () => {
    const f = await handle.contentFrame();
    if (f && !f.isDetached()) return f;
    const attached = page.mainFrame().childFrames().filter((c) => !c.isDetached());
    return attached.length === 1 ? attached[0] : null;
  });
}

async function openFromMenu(page, id) {
  await page.click(`a.plugin-link[data-plugin="${id}"]`, { timeout: WAIT });
  await page.waitForURL((u) => u.pathname === `/plugins/${id}`, { timeout: WAIT });
  return pluginFrame(page);
}

// The boleto page inside `frame`: the rows, and the XHR's count set by the page script.
async function boletosShown(frame, what = 'the boleto page') {
  try {
    await frame.waitForSelector('#boletos tr.boleto', { timeout: WAIT });
    await frame.waitForSelector('body[data-api-boletos]', { timeout: WAIT });
  } catch (e) {
    const code = await frame.locator('#error-code').textContent({ timeout: 500 }).catch(() => null);
    const status = await frame.locator('#api-status').textContent({ timeout: 500 }).catch(() => null);
    throw new Error(`${what}: no boletos in the frame (frame URL ${frame.url()}` +
      `${code ? `, error code ${code}` : ''}${status ? `, api-status "${status}"` : ''}): ${e.message.split('\n')[0]}`);
  }
  const rows = await frame.$$eval('#boletos tr.boleto', (trs) => trs.map((tr) => tr.dataset.id));
  const who = (await frame.locator('#who').textContent()).trim();
  const api = Number(await frame.getAttribute('body', 'data-api-boletos'));
  return { rows, who, api };
}

async function errorCodeShown(frameOrPage, what) {
  try {
    await frameOrPage.waitForSelector('#error-code', { timeout: WAIT });
  } catch (e) {
    throw new Error(`${what}: expected the vendor's error page, got ${frameOrPage.url()}: ${e.message.split('\n')[0]}`);
  }
  return (await frameOrPage.locator('#error-code').textContent()).trim();
}

function tokenOf(url) {
  return new URL(url).searchParams.get('token');
}

function ensureDir(d) { fs.mkdirSync(d, { recursive: true }); }

module.exports = {
  WAIT, shot, withShots, until, sleep, withSignal, aborted, login, menuIds, pluginFrame, openFromMenu, boletosShown,
  errorCodeShown, tokenOf, ensureDir,
};
