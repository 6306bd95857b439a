'use strict';
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const CvPluginPortal = require('../cv-plugin-portal.js');
const CvPluginPage = require('../cv-plugin-page.js');
const { PORTAL, VENDOR, LAUNCH_A, allPosts, assertSerializedOrigin, FakeWindow, json, flush } = require('./fakes.js');

const OTHER_VENDOR = 'https://boletos.example.org';
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

after(() => {
  assert.ok(allPosts.length > 0);
  for (const call of allPosts) assertSerializedOrigin(call.targetOrigin);
});

/** A portal window with two plugin iframes, each with its own mint counter. */
function portalWorld(opts = {}) {
  const w = new FakeWindow(PORTAL + '/cliente');
  const frameA = new FakeWindow(VENDOR + '/portal/financeiro');
  const frameB = new FakeWindow(OTHER_VENDOR + '/segunda-via');
  const minted = { a: 0, b: 0 };
  const regs = [
    { iframe: { contentWindow: frameA }, origin: VENDOR, mint: opts.mintA || (async () => { minted.a++; return LAUNCH_A; }) },
    { iframe: { contentWindow: frameB }, origin: OTHER_VENDOR, mint: async () => { minted.b++; return LAUNCH_A; } }
  ];
  let clock = 1_000_000;
  const unlisten = CvPluginPortal.listen({
    window: w, frames: opts.asArray ? regs : () => regs, now: () => clock, maxPerMinute: opts.maxPerMinute
  });
  return {
    w, frameA, frameB, regs, minted, unlisten,
    advance(ms) { clock += ms; },
    request(source, origin, data = { type: 'cv-plugin:launch-token-request', version: 1, id: ID }) {
      w.dispatch({ source, origin, data });
    }
  };
}

test('portal: answers a registered iframe with its registered origin as targetOrigin', async () => {
  const p = portalWorld();
  p.request(p.frameA, VENDOR);
  await flush();
  assert.deepEqual(p.frameA.posted, [{
    data: { type: 'cv-plugin:launch-token-response', version: 1, id: ID, token: LAUNCH_A },
    targetOrigin: VENDOR
  }]);
  assert.equal(p.frameB.posted.length, 0);
  assert.equal(p.minted.a, 1);
});

test('portal: frames built anew on every call (the documented pattern) are answered', async () => {
  const w = new FakeWindow(PORTAL + '/cliente');
  const frame = new FakeWindow(VENDOR + '/portal/financeiro');
  const iframe = { contentWindow: frame };
  let minted = 0;
  const unlisten = CvPluginPortal.listen({
    window: w,
    // As PROTOCOL.md §13.6 shows: new registration objects each time `frames` is read.
    frames: () => [iframe].map((i) => ({ iframe: i, origin: VENDOR, mint: async () => { minted++; return LAUNCH_A; } }))
  });
  w.dispatch({ source: frame, origin: VENDOR, data: { type: 'cv-plugin:launch-token-request', version: 1, id: ID } });
  await flush();
  unlisten();
  assert.equal(minted, 1);
  assert.equal(frame.posted.length, 1, 'a minted token must reach the frame');
  assert.equal(frame.posted[0].targetOrigin, VENDOR);
});

test('portal: frames may be an array too', async () => {
  const p = portalWorld({ asArray: true });
  p.request(p.frameB, OTHER_VENDOR);
  await flush();
  assert.equal(p.frameB.posted.length, 1);
  assert.equal(p.frameB.posted[0].targetOrigin, OTHER_VENDOR);
});

test('portal: a message from a registered iframe but another origin is ignored', async () => {
  const p = portalWorld();
  p.request(p.frameA, OTHER_VENDOR);  // the frame navigated elsewhere, or claims a sibling's origin
  p.request(p.frameA, 'https://evil.example');
  p.request(p.frameA, VENDOR + ':443');
  p.request(p.frameA, 'null');
  await flush();
  assert.equal(p.frameA.posted.length, 0);
  assert.deepEqual(p.minted, { a: 0, b: 0 });
});

test('portal: a registered origin from an unregistered source is ignored', async () => {
  const p = portalWorld();
  const popup = new FakeWindow(VENDOR + '/popup');
  p.request(popup, VENDOR);
  p.request(null, VENDOR);
  p.request(p.w, VENDOR);
  await flush();
  assert.equal(popup.posted.length, 0);
  assert.deepEqual(p.minted, { a: 0, b: 0 });
});

test('portal: malformed messages are ignored', async () => {
  const p = portalWorld();
  const ok = { type: 'cv-plugin:launch-token-request', version: 1, id: ID };
  const bad = [
    null, 'cv-plugin:launch-token-request', JSON.stringify(ok), [ok], 1,
    { ...ok, extra: true },
    { ...ok, token: LAUNCH_A },
    { type: ok.type, version: 1 },
    { ...ok, type: 'cv-plugin:launch-token-response' },
    { ...ok, version: '1' }, { ...ok, version: 2 },
    { ...ok, id: ID.slice(1) }, { ...ok, id: ID + 'A' }, { ...ok, id: 'AAAAAAAAAAAAAAAAAAAAA+' },
    { ...ok, id: 'AAAAAAAAAAAAAAAAAAAAA=' }, { ...ok, id: 12 },
    Object.assign(Object.create({ polluted: 1 }), ok),
    Object.assign(new (class Req {})(), ok)
  ];
  for (const data of bad) p.request(p.frameA, VENDOR, data);
  p.w.dispatch({ source: p.frameA, origin: VENDOR, data: undefined });
  p.w.dispatch(undefined);
  await flush();
  assert.equal(p.frameA.posted.length, 0);
  assert.equal(p.minted.a, 0);
});

test('portal: the rate limit drops the 7th request within a minute and allows again later', async () => {
  const p = portalWorld();
  for (let i = 0; i < 7; i++) p.request(p.frameA, VENDOR);
  await flush();
  assert.equal(p.frameA.posted.length, 6);
  assert.equal(p.minted.a, 6, 'a dropped request costs no mint');
  p.request(p.frameB, OTHER_VENDOR);
  await flush();
  assert.equal(p.frameB.posted.length, 1, 'the budget is per iframe');
  p.advance(59_999);
  p.request(p.frameA, VENDOR);
  await flush();
  assert.equal(p.frameA.posted.length, 6, 'still within the rolling minute');
  p.advance(1);
  p.request(p.frameA, VENDOR);
  await flush();
  assert.equal(p.frameA.posted.length, 7, 'allowed again 60 s after the first');
});

test('portal: maxPerMinute is configurable', async () => {
  const p = portalWorld({ maxPerMinute: 2 });
  for (let i = 0; i < 3; i++) p.request(p.frameA, VENDOR);
  await flush();
  assert.equal(p.frameA.posted.length, 2);
});

test('portal: mint() returning null, throwing or giving a malformed token sends no reply', async () => {
  for (const mintA of [async () => null, async () => { throw new Error('logged out'); },
    () => { throw new Error('sync'); }, async () => 'not-a-jws', async () => undefined]) {
    const p = portalWorld({ mintA });
    p.request(p.frameA, VENDOR);
    await flush();
    assert.equal(p.frameA.posted.length, 0);
  }
});

test('portal: the unlisten function removes the listener and drops replies still pending', async () => {
  let release;
  const p = portalWorld({ mintA: () => new Promise((r) => { release = r; }) });
  assert.equal(p.w.listeners.size, 1);
  p.request(p.frameA, VENDOR);
  await flush(); // the token is being minted
  p.unlisten();
  assert.equal(p.w.listeners.size, 0);
  p.request(p.frameA, VENDOR);
  release(LAUNCH_A);
  await flush();
  assert.equal(p.frameA.posted.length, 0);
});

test('portal: a frame unregistered while its token was minted gets no reply', async () => {
  let release;
  const p = portalWorld({ mintA: () => new Promise((r) => { release = r; }) });
  p.request(p.frameA, VENDOR);
  await flush();
  p.regs.shift();
  release(LAUNCH_A);
  await flush();
  assert.equal(p.frameA.posted.length, 0);
});

test('portal: a registration with an invalid origin is never answered', async () => {
  const w = new FakeWindow(PORTAL);
  const frame = new FakeWindow(VENDOR);
  for (const origin of ['*', VENDOR + '/', 'http://erp.example.com']) {
    const unlisten = CvPluginPortal.listen({ window: w, frames: [{ iframe: { contentWindow: frame }, origin, mint: async () => LAUNCH_A }] });
    w.dispatch({ source: frame, origin, data: { type: 'cv-plugin:launch-token-request', version: 1, id: ID } });
    await flush();
    unlisten();
  }
  assert.equal(frame.posted.length, 0);
});

test('page and portal together: a 401 is renewed through the real portal listener', async () => {
  const portal = new FakeWindow(PORTAL + '/cliente');
  const page = new FakeWindow(VENDOR + '/portal/financeiro?token=' + LAUNCH_A);
  page.parent = portal;
  // The browser delivers a message posted to the page window to its listeners, from the portal.
  page.postMessage = function (data, targetOrigin) {
    FakeWindow.prototype.postMessage.call(this, data, targetOrigin);
    assert.equal(targetOrigin, new URL(this.location.href).origin);
    setImmediate(() => page.dispatch({ source: portal, origin: PORTAL, data: structuredClone(data) }));
  };
  portal.onPost = (data) => setImmediate(() => portal.dispatch({ source: page, origin: VENDOR, data: structuredClone(data) }));
  let n = 0;
  page.fetch = async (input, init) => {
    if (input === VENDOR + '/cv/exchange') {
      assert.equal(init.body, 'token=' + LAUNCH_A);
      return json(200, { session: 'fresh', expires_in: 900 });
    }
    return ++n === 1
      ? new Response('', { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="cv-plugin-session"' } })
      : new Response(input.headers.get('authorization'));
  };
  const unlisten = CvPluginPortal.listen({
    window: portal, frames: [{ iframe: { contentWindow: page }, origin: VENDOR, mint: async () => LAUNCH_A }]
  });
  const client = CvPluginPage.start({ portalOrigin: PORTAL, exchangeUrl: '/cv/exchange', session: 'old', window: page });
  const res = await client.fetch('/api/boletos');
  assert.equal(await res.text(), 'Bearer fresh');
  unlisten();
});

test('both files work as classic scripts: they define globalThis.CvPluginPage and globalThis.CvPluginPortal', () => {
  const vm = require('node:vm');
  const fs = require('node:fs');
  const path = require('node:path');
  const ctx = vm.createContext({ URL });
  for (const f of ['cv-plugin-page.js', 'cv-plugin-portal.js']) {
    vm.runInContext(fs.readFileSync(path.join(__dirname, '..', f), 'utf8'), ctx, { filename: f });
  }
  assert.equal(typeof ctx.CvPluginPage.start, 'function');
  assert.equal(typeof ctx.CvPluginPage.bounce, 'function');
  assert.equal(typeof ctx.CvPluginPortal.listen, 'function');
});
