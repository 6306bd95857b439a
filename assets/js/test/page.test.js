'use strict';
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const CvPluginPage = require('../cv-plugin-page.js');
const {
  PORTAL, VENDOR, LAUNCH_A, LAUNCH_B, allPosts, assertSerializedOrigin,
  FakeWindow, pageWorld, autoReply, json, unauthorized, flush
} = require('./fakes.js');

const EXCHANGE = '/cv/exchange';

function startPage(world, extra = {}) {
  return CvPluginPage.start(Object.assign({
    portalOrigin: PORTAL, exchangeUrl: EXCHANGE, session: 'S0', window: world.w
  }, extra));
}

function response(data) {
  return { type: 'cv-plugin:launch-token-response', version: 1, token: LAUNCH_A, ...data };
}

/** Starts a refresh and returns it with the id of the request the page posted. */
function refreshWithId(world, page) {
  const p = page.refresh();
  p.catch(() => {});
  const posted = world.parent.posted.at(-1);
  assert.ok(posted, 'the page posted a request to its parent');
  return { p, id: posted.data.id };
}

after(() => {
  assert.ok(allPosts.length > 0);
  for (const call of allPosts) assertSerializedOrigin(call.targetOrigin);
});

// --- address bar ---------------------------------------------------------------------------------

test('start: replaceState removes only the token parameter, keeping other params, their encoding and the hash', () => {
  const world = pageWorld({ href: VENDOR + '/portal/financeiro?empresa=7&token=' + LAUNCH_A + '&q=a%20b+c&x#boletos' });
  startPage(world);
  assert.equal(world.w.history.calls.length, 1);
  const call = world.w.history.calls[0];
  assert.equal(call.url, VENDOR + '/portal/financeiro?empresa=7&q=a%20b+c&x#boletos');
  assert.deepEqual(call.state, { restored: true }, 'history.state is kept');
});

test('start: a token-only query leaves no "?" behind, and a percent-encoded "token" name is removed too', () => {
  const world = pageWorld({ href: VENDOR + '/p?tok%65n=' + LAUNCH_A + '#h' });
  startPage(world);
  assert.equal(world.w.history.calls[0].url, VENDOR + '/p#h');
});

test('start: no replaceState when there is no token parameter', () => {
  const world = pageWorld({ href: VENDOR + '/p?tokens=1&mytoken=2' });
  startPage(world);
  assert.equal(world.w.history.calls.length, 0);
});

// --- configuration -------------------------------------------------------------------------------

test('start: an invalid portalOrigin is rejected', () => {
  const bad = ['*', 'null', '', undefined, 'portal.example.com', 'https://portal.example.com/',
    'https://portal.example.com/cliente', 'https://Portal.example.com', 'https://portal.example.com:443',
    'http://portal.example.com', 'https://user@portal.example.com', 'javascript:alert(1)',
    'http://localhost.evil.example'];
  for (const portalOrigin of bad) {
    assert.throws(() => startPage(pageWorld(), { portalOrigin }),
      (e) => e instanceof TypeError && e.code === 'invalid_config', String(portalOrigin));
  }
  for (const portalOrigin of ['https://portal.example.com:8443', 'http://localhost:3000',
    'http://127.0.0.1', 'http://[::1]:8080']) {
    assert.doesNotThrow(() => startPage(pageWorld(), { portalOrigin }), portalOrigin);
  }
});

test('start: an exchangeUrl on another origin is rejected (the launch token must stay with the vendor)', () => {
  assert.throws(() => startPage(pageWorld(), { exchangeUrl: 'https://elsewhere.example.com/cv/exchange' }),
    (e) => e.code === 'invalid_config');
});

// --- fetch: the bearer ---------------------------------------------------------------------------

test('fetch: the bearer is added to same-origin requests only', async () => {
  const world = pageWorld();
  const page = startPage(world);
  await page.fetch('/api/boletos');
  await page.fetch(VENDOR + '/api/boletos?mes=3', { headers: { 'X-Test': '1' } });
  await page.fetch(new Request(VENDOR + '/api/r'));
  await page.fetch('https://cdn.example.net/lib.json');
  await page.fetch('https://erp.example.com:8443/api');
  assert.deepEqual(world.calls.map((c) => [c.url, c.auth]), [
    [VENDOR + '/api/boletos', 'Bearer S0'],
    [VENDOR + '/api/boletos?mes=3', 'Bearer S0'],
    [VENDOR + '/api/r', 'Bearer S0'],
    ['https://cdn.example.net/lib.json', null],
    ['https://erp.example.com:8443/api', null]
  ]);
  assert.equal(world.calls[1].req.headers.get('x-test'), '1', 'caller headers kept');
  assert.equal(world.calls[3].input, 'https://cdn.example.net/lib.json', 'cross-origin passed untouched');
});

test('fetch: an object whose url and string form differ is judged by what fetch would send', async () => {
  const world = pageWorld();
  const page = startPage(world);
  const sneaky = { url: VENDOR + '/api', toString() { return 'https://evil.example/steal'; } };
  await page.fetch(sneaky);
  assert.equal(world.calls.length, 1);
  assert.equal(world.calls[0].auth, null, 'no bearer to another origin');
});

test('fetch: without a session the request goes out without a bearer, and the 401 brings one', async () => {
  const world = pageWorld({ routes: (req) => (req.headers.get('authorization') ? new Response('ok') : unauthorized()) });
  autoReply(world);
  const page = startPage(world, { session: undefined });
  assert.equal(page.session(), null);
  const res = await page.fetch('/api/x');
  assert.equal(res.status, 200);
  assert.deepEqual(world.calls.map((c) => c.auth), [null, 'Bearer S1']);
});

// --- fetch: the 401 signal -----------------------------------------------------------------------

test('fetch: a 401 with the session realm runs exactly one refresh and one retry', async () => {
  const world = pageWorld({ routes: (req, n) => (n === 1 ? unauthorized() : new Response('boleto')) });
  autoReply(world);
  const page = startPage(world);
  const res = await page.fetch('/api/boleto', { method: 'POST', body: 'mes=3' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'boleto');
  assert.equal(world.parent.posted.length, 1, 'one launch-token request');
  assert.equal(world.exchanges.length, 1, 'one exchange');
  assert.deepEqual(world.calls.map((c) => c.auth), ['Bearer S0', 'Bearer S1']);
  assert.equal(await world.calls[1].req.text(), 'mes=3', 'the retry carries the same body');
  assert.equal(page.session(), 'S1');
});

test('fetch: a second 401 is returned to the caller, no loop', async () => {
  const world = pageWorld({ routes: () => unauthorized() });
  autoReply(world);
  const page = startPage(world);
  const res = await page.fetch('/api/boleto');
  assert.equal(res.status, 401);
  assert.equal(world.calls.length, 2, 'the request and one retry');
  assert.equal(world.parent.posted.length, 1, 'one refresh only');
  assert.equal(world.exchanges.length, 1);
});

test('fetch: a 401 with another realm (or none) does not refresh', async () => {
  for (const challenge of ['Bearer realm="cv-plugin", error="invalid_token"', 'Basic realm="cv-plugin-session"',
    'Bearer realm="cv-plugin-session-x"', 'Bearer realm="cv-plugin-session", realm="other"', null]) {
    const world = pageWorld({
      routes: () => new Response('no', { status: 401, headers: challenge ? { 'WWW-Authenticate': challenge } : {} })
    });
    autoReply(world);
    const page = startPage(world);
    const res = await page.fetch('/api/x');
    assert.equal(res.status, 401, String(challenge));
    assert.equal(world.parent.posted.length, 0, String(challenge));
    assert.equal(world.calls.length, 1, String(challenge));
  }
});

test('fetch: the session challenge is found among several challenges and parameters', () => {
  const is = CvPluginPage._internal.isSessionChallenge;
  assert.ok(is('Bearer realm="cv-plugin-session"'));
  assert.ok(is('bearer  realm=cv-plugin-session, error="invalid_token", error_description="idle"'));
  assert.ok(is('Basic realm="intranet", Bearer realm="cv-plugin-session"'));
  assert.ok(is('Negotiate YII=, Bearer error="invalid_token", realm="cv-plugin-session"'));
  assert.ok(!is('Bearer realm="cv-plugin"'));
  assert.ok(!is('Bearer error="x", Basic realm="cv-plugin-session"'));
  assert.ok(!is('Bearer realm="cv-plugin-session'), 'unterminated quoted string');
  assert.ok(!is('realm="cv-plugin-session"'), 'no scheme');
  assert.ok(!is(''));
});

test('fetch: a 401 for a session that was replaced meanwhile retries with the new one, without another refresh', async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  const world = pageWorld({ routes: async (req) => (req.headers.get('authorization') === 'Bearer S0' ? (await gate, unauthorized()) : new Response('ok')) });
  autoReply(world);
  const page = startPage(world);
  const slow = page.fetch('/api/slow');
  await flush();
  await page.refresh();
  release();
  const res = await slow;
  assert.equal(res.status, 200);
  assert.equal(world.parent.posted.length, 1);
  assert.deepEqual(world.calls.map((c) => c.auth), ['Bearer S0', 'Bearer S1']);
});

test('fetch: a ReadableStream body is not retried; the session is still refreshed and the 401 returned', async () => {
  const world = pageWorld({ routes: () => unauthorized() });
  autoReply(world);
  const page = startPage(world);
  const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('x')); c.close(); } });
  const res = await page.fetch('/api/upload', { method: 'POST', body, duplex: 'half' });
  assert.equal(res.status, 401);
  assert.equal(world.calls.length, 1, 'not retried');
  assert.equal(world.parent.posted.length, 1, 'refreshed');
  assert.equal(page.session(), 'S1');
});

test('fetch: a failed refresh rejects the fetch with the refresh error', async () => {
  const world = pageWorld({ routes: () => unauthorized(), exchange: () => json(403, { error: 'denied' }) });
  autoReply(world);
  const page = startPage(world);
  await assert.rejects(page.fetch('/api/x'), (e) => e.code === 'exchange_failed' && e.status === 403);
  assert.equal(world.calls.length, 1);
});

// --- refresh: the request ------------------------------------------------------------------------

test('refresh: concurrent refreshes coalesce into one postMessage', async () => {
  const world = pageWorld();
  autoReply(world);
  const page = startPage(world);
  const all = await Promise.all([page.refresh(), page.refresh(), page.refresh()]);
  assert.deepEqual(all, ['S1', 'S1', 'S1']);
  assert.equal(world.parent.posted.length, 1);
  assert.equal(world.exchanges.length, 1);
});

test('refresh: concurrent 401s share one refresh', async () => {
  const world = pageWorld({ routes: (req) => (req.headers.get('authorization') === 'Bearer S0' ? unauthorized() : new Response('ok')) });
  autoReply(world);
  const page = startPage(world);
  const res = await Promise.all([page.fetch('/a'), page.fetch('/b'), page.fetch('/c')]);
  assert.deepEqual(res.map((r) => r.status), [200, 200, 200]);
  assert.equal(world.parent.posted.length, 1);
});

test('refresh: the request is posted to window.parent with the exact portal origin (never "*") and a fresh id', async () => {
  const world = pageWorld();
  autoReply(world);
  const page = startPage(world);
  await page.refresh();
  await page.refresh();
  assert.equal(world.parent.posted.length, 2);
  for (const { data, targetOrigin } of world.parent.posted) {
    assert.equal(targetOrigin, PORTAL);
    assert.deepEqual(Object.keys(data).sort(), ['id', 'type', 'version']);
    assert.equal(data.type, 'cv-plugin:launch-token-request');
    assert.equal(data.version, 1);
    assert.match(data.id, /^[A-Za-z0-9_-]{22}$/);
  }
  assert.notEqual(world.parent.posted[0].data.id, world.parent.posted[1].data.id);
  assert.equal(world.w.posted.length, 0, 'nothing posted to the page itself');
});

test('refresh: the exchange is a form POST of the launch token, JSON accepted, no credentials, no bearer', async () => {
  const world = pageWorld();
  autoReply(world, LAUNCH_B);
  const page = startPage(world);
  await page.refresh();
  const { url, init } = world.exchanges[0];
  assert.equal(url, VENDOR + '/cv/exchange');
  assert.equal(init.method, 'POST');
  assert.equal(init.body, 'token=' + LAUNCH_B);
  assert.equal(init.credentials, 'omit');
  assert.deepEqual(init.headers, { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
});

test('refresh: a page that is not framed fails fast with not_framed', async () => {
  const world = pageWorld();
  world.w.parent = world.w;
  const page = startPage(world);
  await assert.rejects(page.refresh(), (e) => e.code === 'not_framed');
  assert.equal(world.w.listeners.size, 0);
});

// --- refresh: the reply --------------------------------------------------------------------------

test('refresh: a reply from a forged origin is ignored', async () => {
  const world = pageWorld();
  const page = startPage(world);
  const { p, id } = refreshWithId(world, page);
  world.w.dispatch({ source: world.parent, origin: 'https://evil.example', data: response({ id, token: LAUNCH_B }) });
  world.w.dispatch({ source: world.parent, origin: PORTAL + ':443', data: response({ id, token: LAUNCH_B }) });
  world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id }) });
  assert.equal(await p, 'S1');
  assert.equal(world.exchanges[0].init.body, 'token=' + LAUNCH_A);
});

test('refresh: a reply from another source than window.parent is ignored (popup or other frame of the portal origin)', async () => {
  const world = pageWorld();
  const page = startPage(world);
  const { p, id } = refreshWithId(world, page);
  const popup = new FakeWindow(PORTAL + '/popup');
  world.w.dispatch({ source: popup, origin: PORTAL, data: response({ id, token: LAUNCH_B }) });
  world.w.dispatch({ source: null, origin: PORTAL, data: response({ id, token: LAUNCH_B }) });
  world.w.dispatch({ source: world.w, origin: PORTAL, data: response({ id, token: LAUNCH_B }) });
  world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id }) });
  assert.equal(await p, 'S1');
  assert.equal(world.exchanges.length, 1);
  assert.equal(world.exchanges[0].init.body, 'token=' + LAUNCH_A);
});

test('refresh: a reply with a wrong id is ignored (an old reply replayed)', async () => {
  const world = pageWorld();
  const page = startPage(world, { requestTimeoutMs: 60 });
  const { p, id } = refreshWithId(world, page);
  const other = id.slice(0, 21) + (id[21] === 'A' ? 'B' : 'A');
  for (const wrong of [other, undefined, id.toUpperCase() === id ? id.toLowerCase() : id.toUpperCase(), '']) {
    world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id: wrong }) });
  }
  await assert.rejects(p, (e) => e.code === 'refresh_timeout');
  assert.equal(world.exchanges.length, 0);
});

test('refresh: a reply with a wrong type or version is ignored', async () => {
  const world = pageWorld();
  const page = startPage(world, { requestTimeoutMs: 60 });
  const { p, id } = refreshWithId(world, page);
  for (const bad of [{ type: 'cv-plugin:launch-token-request' }, { type: 'cv-plugin:launch-token-responses' },
    { version: 2 }, { version: '1' }, { version: 1.5 }]) {
    world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id, ...bad }) });
  }
  await assert.rejects(p, (e) => e.code === 'refresh_timeout');
  assert.equal(world.exchanges.length, 0);
});

test('refresh: a malformed token or message is ignored', async () => {
  const world = pageWorld();
  const page = startPage(world, { requestTimeoutMs: 60 });
  const { p, id } = refreshWithId(world, page);
  const long = 'a'.repeat(2000) + '.' + 'b'.repeat(2000) + '.' + 'c'.repeat(95); // 4097 chars
  for (const token of ['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c ', 'a+b.c.d', 'a.b.c=', long, 42, null, ['a.b.c']]) {
    world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id, token }) });
  }
  for (const data of [null, 'x', JSON.stringify(response({ id })), [response({ id })],
    { ...response({ id }), extra: 1 }, Object.assign(Object.create({ evil: 1 }), response({ id }))]) {
    world.w.dispatch({ source: world.parent, origin: PORTAL, data });
  }
  await assert.rejects(p, (e) => e.code === 'refresh_timeout');
  assert.equal(world.exchanges.length, 0);
});

test('refresh: a reply after the deadline is ignored and refresh_timeout is raised', async () => {
  const world = pageWorld();
  const page = startPage(world, { requestTimeoutMs: 30 });
  const { p, id } = refreshWithId(world, page);
  await assert.rejects(p, (e) => e instanceof Error && e.code === 'refresh_timeout');
  world.w.dispatch({ source: world.parent, origin: PORTAL, data: response({ id }) });
  await flush();
  assert.equal(world.exchanges.length, 0);
  assert.equal(page.session(), 'S0');
});

test('refresh: the message listener is removed after a reply, a timeout and a failure', async () => {
  const world = pageWorld();
  autoReply(world);
  const page = startPage(world, { requestTimeoutMs: 30 });
  const p = page.refresh();
  assert.equal(world.w.listeners.size, 1, 'listening while waiting');
  await p;
  assert.equal(world.w.listeners.size, 0, 'after a reply');
  world.parent.onPost = null;
  await assert.rejects(page.refresh());
  assert.equal(world.w.listeners.size, 0, 'after a timeout');
  world.parent.postMessage = () => { throw new Error('detached'); };
  await assert.rejects(page.refresh(), /detached/);
  assert.equal(world.w.listeners.size, 0, 'after postMessage threw');
});

test('refresh: a failed exchange is surfaced as exchange_failed with the status', async () => {
  const cases = [
    [() => json(401, { error: 'invalid_token' }), 401],
    [() => new Response('<html>', { status: 200 }), 200],
    [() => json(200, { session: 'S9' }), 200],
    [() => json(200, { session: 'has space', expires_in: 900 }), 200],
    [() => json(200, { session: 'S9', expires_in: '900' }), 200],
    [() => { throw new TypeError('network'); }, 0]
  ];
  for (const [exchange, status] of cases) {
    const world = pageWorld({ exchange });
    autoReply(world);
    const page = startPage(world);
    await assert.rejects(page.refresh(), (e) => e.code === 'exchange_failed' && e.status === status);
    assert.equal(page.session(), 'S0', 'the old session is kept');
  }
});

// --- bounce ----------------------------------------------------------------------------------------

test('bounce: gets a session and re-requests the same URL as a form POST carrying it, never in the URL', async () => {
  const world = pageWorld({ href: VENDOR + '/portal/financeiro?empresa=7&token=' + LAUNCH_A + '#boletos' });
  autoReply(world, LAUNCH_B);
  const made = [];
  const body = { children: [], appendChild(n) { this.children.push(n); } };
  world.w.document = {
    body,
    createElement(tag) {
      const el = { tag, children: [], submitted: 0, appendChild(n) { this.children.push(n); }, submit() { this.submitted++; } };
      made.push(el);
      return el;
    }
  };
  await CvPluginPage.bounce({ portalOrigin: PORTAL, exchangeUrl: EXCHANGE, window: world.w });
  const form = made.find((e) => e.tag === 'form');
  assert.equal(form.method, 'POST');
  assert.equal(form.action, VENDOR + '/portal/financeiro?empresa=7#boletos');
  assert.equal(form.submitted, 1);
  assert.deepEqual(body.children, [form]);
  const [input] = form.children;
  assert.deepEqual({ tag: input.tag, type: input.type, name: input.name, value: input.value },
    { tag: 'input', type: 'hidden', name: 'session', value: 'S1' });
  assert.equal(world.exchanges[0].init.body, 'token=' + LAUNCH_B);
  assert.ok(!world.w.location.href.includes('S1'));
});

test('bounce: a refresh failure rejects and submits nothing', async () => {
  const world = pageWorld();
  world.w.document = { createElement() { throw new Error('must not build a form'); } };
  await assert.rejects(CvPluginPage.bounce({ portalOrigin: PORTAL, exchangeUrl: EXCHANGE, window: world.w, requestTimeoutMs: 20 }),
    (e) => e.code === 'refresh_timeout');
});

test('bounce: a bad option is a rejected promise, never a synchronous throw', async () => {
  const world = pageWorld();
  let returned;
  assert.doesNotThrow(() => {
    returned = CvPluginPage.bounce({ portalOrigin: 'https://portal.example/', exchangeUrl: EXCHANGE, window: world.w });
  });
  await assert.rejects(returned, (e) => e.code === 'invalid_config');
  assert.strictEqual(world.w.parent.posted.length, 0);
});

test('no "*" targetOrigin in the sources', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  for (const f of ['cv-plugin-page.js', 'cv-plugin-portal.js']) {
    const src = fs.readFileSync(path.join(__dirname, '..', f), 'utf8');
    assert.doesNotMatch(src, /postMessage\([^;]*['"]\*['"]/, f);
  }
});
