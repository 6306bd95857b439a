'use strict';
// Small fake browser objects for the node:test suites. Not a test file itself: run the suites with
// `node --test assets/js/test/*.test.js`.

const assert = require('node:assert/strict');

const PORTAL = 'https://portal.example.com';
const VENDOR = 'https://erp.example.com';
const LAUNCH_A = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2lnLWE';
const LAUNCH_B = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJiIn0.c2lnLWI';

/** Every postMessage call made on any fake window of this process, for the no-"*" check. */
const allPosts = [];

/** A serialized origin as a browser writes it: what every targetOrigin must be. */
function assertSerializedOrigin(o) {
  assert.equal(typeof o, 'string', 'targetOrigin must be a string');
  assert.notEqual(o, '*', 'targetOrigin "*" used');
  assert.equal(new URL(o).origin, o, 'targetOrigin is not a serialized origin: ' + o);
}

class FakeWindow {
  /** @param {string} href */
  constructor(href) {
    this.location = { href };
    this.listeners = new Set();
    this.posted = [];
    this.onPost = null;
    this.parent = this;
    this.history = {
      state: { restored: true },
      calls: [],
      replaceState: (state, title, url) => {
        this.history.calls.push({ state, title, url });
        this.location.href = new URL(url, this.location.href).href;
      }
    };
  }
  addEventListener(type, fn) { if (type === 'message') this.listeners.add(fn); }
  removeEventListener(type, fn) { if (type === 'message') this.listeners.delete(fn); }
  postMessage(data, targetOrigin) {
    allPosts.push({ data, targetOrigin });
    assertSerializedOrigin(targetOrigin);
    this.posted.push({ data, targetOrigin });
    if (this.onPost) this.onPost(data, targetOrigin);
  }
  /** Delivers a MessageEvent-like object to the listeners, as the browser would. */
  dispatch(ev) { for (const fn of [...this.listeners]) fn(ev); }
}

/**
 * A vendor page window inside a portal window. `routes(req)` answers the page's own requests;
 * the exchange endpoint answers with sessions S1, S2, ... unless `exchange` is given.
 */
function pageWorld(opts = {}) {
  const href = opts.href || VENDOR + '/portal/financeiro?empresa=7';
  const w = new FakeWindow(href);
  const parent = new FakeWindow(PORTAL + '/cliente/plugins/financeiro');
  w.parent = parent;
  const calls = [];
  const exchanges = [];
  let sessions = 0;
  const exchange = opts.exchange || (() => json(200, { session: 'S' + ++sessions, expires_in: 900 }));
  const routes = opts.routes || (() => new Response('ok'));
  w.fetch = async (input, init) => {
    if (typeof input === 'string' && input === VENDOR + '/cv/exchange') {
      exchanges.push({ url: input, init });
      return exchange(init);
    }
    const req = input instanceof Request ? input : new Request(input, init);
    calls.push({ url: req.url, auth: req.headers.get('authorization'), req, input, init });
    return routes(req, calls.length);
  };
  return { w, parent, calls, exchanges };
}

/** Makes the portal window answer every request of the page with `token` (default LAUNCH_A). */
function autoReply(world, token = LAUNCH_A) {
  world.parent.onPost = (data) => {
    setImmediate(() => world.w.dispatch({
      source: world.parent,
      origin: PORTAL,
      data: { type: 'cv-plugin:launch-token-response', version: 1, id: data.id, token }
    }));
  };
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: Object.assign({ 'content-type': 'application/json' }, headers)
  });
}

function unauthorized(challenge = 'Bearer realm="cv-plugin-session", error="invalid_token"') {
  return new Response('expired', { status: 401, headers: { 'WWW-Authenticate': challenge } });
}

/** Lets pending promise chains and setImmediate callbacks run. */
async function flush(rounds = 5) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

module.exports = {
  PORTAL, VENDOR, LAUNCH_A, LAUNCH_B, allPosts, assertSerializedOrigin,
  FakeWindow, pageWorld, autoReply, json, unauthorized, flush
};
