'use strict';
// Issue 14, "The end-to-end test": portal_demo and vendor_demo in Debian's headless Chromium, three
// HTTPS sites (portal.test, vendor.test, evil.test) with a throwaway CA, third-party cookies
// blocked. Each numbered test is one claim of the issue; its failure message says which.
//
// Run: `bash .ci/e2e.sh` (installs, builds, runs), or `node --test` here with E2E_BIN_DIR set to
// the directory holding the built portal_demo and vendor_demo.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setup } = require('./lib/env');
const {
  shot, withShots, until, sleep, withSignal, aborted, login, menuIds, pluginFrame, openFromMenu, boletosShown,
  errorCodeShown, tokenOf,
} = require('./lib/helpers');

// node:test's per-test timeout marks a test failed but neither stops it nor takes a screenshot.
// So each test also has its own deadline, shorter by a margin for the failure screenshots (10 s
// each at most) and closing the browsers: at the deadline the test's waits are aborted and an
// error is thrown inside the screenshot wrapper, which saves the screenshots; then its browsers
// are closed before the next test starts. .ci/e2e.sh's outer timeout is above 7 × TEST_TIMEOUT.
const TEST_TIMEOUT = Number(process.env.E2E_TEST_TIMEOUT_MS || 90000);
const DEADLINE = TEST_TIMEOUT - 25000;
let E; // the stage
const open = new Set(); // browsers a test opened, for failure screenshots

async function browser(opts) {
  const stop = aborted(); // a test body abandoned at its deadline opens nothing more
  if (stop) throw stop;
  const b = await E.browser(opts);
  open.add(b);
  b.on('close', () => open.delete(b));
  return b;
}

function claim(name, fn) {
  test(name, { timeout: TEST_TIMEOUT }, async (t) => {
    const stop = new AbortController();
    const signal = AbortSignal.any([t.signal, stop.signal]);
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`test deadline: still running after ${DEADLINE} ms ` +
          `(node:test's timeout is ${TEST_TIMEOUT} ms); aborted`);
        stop.abort(error);
        reject(error);
      }, DEADLINE);
    });
    let run;
    try {
      run = withSignal(signal, () => Promise.resolve().then(() => fn(t, signal)));
      // After the deadline the abandoned body fails on its own (aborted waits, closed browsers):
      // that later rejection is not this test's report, but says where it was.
      run.catch((e) => {
        if (stop.signal.aborted && stop.signal.reason && /deadline/.test(stop.signal.reason.message)) {
          process.stderr.write(`e2e: ${name.slice(0, 40)}…: the body, abandoned at its deadline, ended with: ${String(e && e.message).split('\n')[0]}\n`);
        }
      });
      await withShots(name, () => [...open], () => Promise.race([run, deadline]));
    } finally {
      clearTimeout(timer);
      if (!stop.signal.aborted) stop.abort(new Error('the test is over'));
      for (const b of [...open]) await b.close().catch(() => {});
    }
  });
}

// Every request a browser context makes to the vendor, with its body (the vendor's own log has
// no bodies): the exchange endpoint's token is read from here.
function recordVendorRequests(context) {
  const seen = [];
  context.on('request', (r) => {
    if (r.url().startsWith(E.vendor)) {
      seen.push({ method: r.method(), url: r.url(), body: r.postData() || '', headers: r.headers(), request: r });
    }
  });
  return seen;
}

function exchangeTokens(seen) {
  return seen.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/cv/exchange')
    .map((r) => new URLSearchParams(r.body).get('token'));
}

// The launch token of the plugin page now open in `page`, without the vendor ever seeing it:
// requests to the vendor's /launch are aborted while the portal page loads.
async function unusedLaunchToken(context, page, id) {
  const pattern = `${E.vendor}/launch**`;
  await context.route(pattern, (route) => route.abort());
  try {
    await page.goto(`${E.portal}/plugins/${id}`);
    const iframe = await page.waitForSelector('#plugin-frame', { state: 'attached' });
    const src = await iframe.getAttribute('src');
    if (src) return { token: tokenOf(src), url: src, delivery: 'query' };
    const srcdoc = await iframe.getAttribute('srcdoc');
    const m = /name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"/.exec(srcdoc || '');
    assert.ok(m, `the form_post iframe of ${id} has no token field in its srcdoc: ${String(srcdoc).slice(0, 300)}`);
    return { token: m[1] || m[2], url: `${E.vendor}/launch`, delivery: 'form_post' };
  } finally {
    await context.unroute(pattern);
    await page.goto('about:blank');
  }
}

before(async () => {
  E = await setup();
  process.stderr.write(`e2e: portal ${E.portal}, vendor ${E.vendor}, evil ${E.evil}; stage up in ${E.setupMs} ms\n`);
});

after(async () => {
  if (E) await E.teardown();
});

claim('0. the browser blocks third-party cookies (pref in force), and the cookie probe sees them when allowed', async () => {
  const probe = async (mode) => {
    const b = await browser({ thirdPartyCookies: mode });
    const pref = await E.readPref(b, 'profile.cookie_controls_mode');
    const page = await b.newPage();
    // First party: the cookie is set and comes back at top level.
    await page.goto(`${E.probe}/probe/set`);
    await page.goto(`${E.probe}/probe/echo`);
    const firstParty = await page.locator('#echo').getAttribute('data-cookie');
    // Third party: cookie-probe.test framed by evil.test.
    await page.goto(`${E.evil}/probe/top?frame=${encodeURIComponent(`${E.probe}/probe/echo`)}`);
    const frame = await pluginFrameOf(page, '#probe');
    const thirdParty = await frame.locator('#echo').getAttribute('data-cookie');
    await shot(page, `0-cookie-probe-${mode}`);
    await b.close();
    return { pref, firstParty, thirdParty };
  };
  const blocked = await probe('blocked');
  assert.equal(blocked.pref, 1, `profile.cookie_controls_mode in the browser under test is ${blocked.pref}, not 1 (block third-party cookies)`);
  assert.equal(blocked.firstParty, 'yes', 'the probe cookie did not come back even first-party: the probe itself is broken');
  assert.equal(blocked.thirdParty, 'no', 'a third-party cookie was sent to a cross-site frame: third-party cookies are NOT blocked');
  const allowed = await probe('allowed');
  assert.equal(allowed.pref, 0, `the control browser's cookie_controls_mode is ${allowed.pref}, not 0`);
  assert.equal(allowed.thirdParty, 'yes', 'control: with third-party cookies allowed the probe cookie should reach the cross-site frame; ' +
    'without this the blocked result above would prove nothing');
});

async function pluginFrameOf(page, selector) {
  const handle = await page.waitForSelector(selector, { state: 'attached' });
  return until(`a frame in ${selector}`, async () => {
    const f = await handle.contentFrame();
    return f && f.url() !== 'about:blank' ? f : null;
  });
}

claim('1. ana opens Financeiro from the menu and sees her boletos (davi, without data, sees none); bruno sees no cliente-only plugin; carla sees manager-panel plugins only', async () => {
  const b = await browser();
  const page = await b.newPage();

  await login(page, E.portal, 'ana');
  const anaMenu = await menuIds(page);
  assert.deepEqual([...anaMenu].sort(), ['financeiro', 'financeiro-post'],
    `ana (cliente) should see exactly the cliente plugins of the client portal, saw ${JSON.stringify(anaMenu)}`);
  await shot(page, '1-ana-menu');
  const frame = await openFromMenu(page, 'financeiro');
  const shown = await boletosShown(frame, 'ana clicked Financeiro');
  assert.equal(new URL(frame.url()).origin, E.vendor, `the plugin frame is at ${frame.url()}, not on the vendor`);
  assert.match(shown.who, /Ana/, `the vendor page names "${shown.who}", not ana`);
  assert.ok(shown.rows.length > 0, 'ana has data but the page lists no boleto');
  assert.equal(shown.api, shown.rows.length, `the XHR /api/boletos counted ${shown.api} boletos, the page shows ${shown.rows.length}`);
  await shot(page, '1-ana-financeiro-boletos');

  // davi is a cliente the CV has no data for: the plugin opens, the vendor shows no boleto.
  await login(page, E.portal, 'davi');
  const daviFrame = await openFromMenu(page, 'financeiro');
  const daviCode = await errorCodeShown(daviFrame, 'davi (no data) opened Financeiro');
  assert.equal(daviCode, 'client_not_found', `davi (no data in the CV) got error ${daviCode}, not client_not_found`);
  assert.equal(await daviFrame.locator('tr.boleto').count(), 0, 'davi, who has no data, sees boletos');
  await shot(page, '1-davi-no-data');

  await login(page, E.portal, 'bruno');
  const brunoMenu = await menuIds(page);
  assert.ok(!brunoMenu.includes('financeiro') && !brunoMenu.includes('financeiro-post'),
    `bruno (síndico) sees a cliente-only plugin: ${JSON.stringify(brunoMenu)}`);
  assert.deepEqual(brunoMenu, ['condominio'], `bruno should see only condominio, saw ${JSON.stringify(brunoMenu)}`);
  // Not in the menu, and not by typing the address either.
  const direct = await page.goto(`${E.portal}/plugins/financeiro`);
  assert.ok(direct.status() >= 400, `bruno opening /plugins/financeiro directly got ${direct.status()}`);
  assert.equal(await page.locator('#plugin-frame').count(), 0, 'bruno got an iframe for a cliente-only plugin');
  await shot(page, '1-bruno-refused-financeiro');

  await login(page, E.portal, 'carla');
  const carlaMenu = await menuIds(page);
  assert.deepEqual(carlaMenu, ['relatorios'], `carla (gestor) should see only the manager-panel plugin relatorios, saw ${JSON.stringify(carlaMenu)}`);
  assert.equal(await page.locator('#surface').getAttribute('data-surface'), 'manager_panel', 'carla is not on the manager panel');
  await shot(page, '1-carla-manager-panel');
});

// The accepted limitation (a deviation from the issue's "no session is minted for it"): the
// vendor cannot know who frames it, so a launch framed by evil.test runs completely at the
// vendor (token verified and spent, client data redeemed, session minted, 200 with the page)
// and only the browser's rendering is stopped by frame-ancestors. The test asserts exactly that,
// and that nothing ever uses that session afterwards. See README.md, row 2.
claim('2. evil.test framing the vendor: the vendor answers 200 (token spent, session minted), the browser blocks it by frame-ancestors, and no request ever uses that session; a replayed token at top level shows `replayed`, never data', async () => {
  const b = await browser();
  const page = await b.newPage();
  await login(page, E.portal, 'ana');
  const launch = await unusedLaunchToken(b, page, 'financeiro');
  assert.ok(launch.token, 'no launch token in the financeiro iframe src');

  const consoleLines = [];
  const evilPage = await b.newPage();
  evilPage.on('console', (m) => consoleLines.push(m.text()));
  const launchResponses = [];
  b.on('response', (r) => { if (r.url().startsWith(`${E.vendor}/launch`)) launchResponses.push(r); });
  const mark = E.vendorLog.mark();
  const pMark = E.portalLog.mark();

  // The attacker holds the token (stolen, say); it is put into the page by script so that the
  // attacker's own request log stays a clean witness for test 3.
  await evilPage.goto(`${E.evil}/frame`);
  await evilPage.evaluate((src) => { document.getElementById('victim').src = src; }, launch.url);
  const victim = await pluginFrameOf(evilPage, '#victim');
  await until('the framed vendor page to be blocked (chrome-error://chromewebdata/)',
    async () => victim.url().startsWith('chrome-error://'), { timeout: 10000 });
  await shot(evilPage, '2-evil-frames-vendor-blocked');
  assert.equal(await victim.locator('tr.boleto').count().catch(() => 0), 0, 'boletos rendered inside evil.test');
  const csp = launchResponses.length ? await launchResponses[0].headerValue('content-security-policy') : null;
  assert.ok(csp && csp.includes(`frame-ancestors ${E.portal}`),
    `the vendor's launch answer has no frame-ancestors ${E.portal} (CSP: ${csp})`);
  await until('a console message about frame-ancestors on the evil page',
    async () => consoleLines.some((l) => /frame-ancestors/.test(l)), { timeout: 5000 });

  // What happened on the server (the accepted limitation, asserted so that the docs stay true
  // and a vendor that defers the work is noticed): the vendor cannot know who frames it, so it
  // verified and spent the token, redeemed the client data at the portal, minted a session and
  // answered 200 with the page; the browser then discarded the page.
  assert.equal(launchResponses.length, 1, `expected one /launch response to the framed launch, saw ${launchResponses.length}`);
  assert.equal(launchResponses[0].status(), 200, `the vendor answered the framed launch with ${launchResponses[0].status()}, not 200 ` +
    '(if the vendor now defers the launch\'s work, update SECURITY.md and tests/e2e/README.md row 2)');
  const blockedBody = await launchResponses[0].text().catch(() => null);
  if (blockedBody !== null) {
    assert.match(blockedBody, /name="cv-session"/, 'the 200 answer to the framed launch carries no session');
  }
  const redeemed = E.portalLog.since(pMark).filter((e) => e.target.startsWith('/api/cv-plugin/client-data'));
  assert.equal(redeemed.length, 1, `the vendor should have redeemed the framed launch's client data once at the portal: ${JSON.stringify(E.portalLog.since(pMark))}`);
  process.stderr.write(`e2e: test 2: the framed launch: vendor answered ${launchResponses[0].status()} ` +
    `(body ${blockedBody === null ? 'not readable in the browser' : 'carrying a session'}); ` +
    `client data redeemed at the portal: ${redeemed.map((e) => `${e.method} ${e.target.split('?')[0]}`).join(', ')}; the browser blocked the page\n`);

  // Also the boleto page itself (no token): framed by evil, blocked.
  const evil2 = await b.newPage();
  await evil2.goto(`${E.evil}/frame?src=${encodeURIComponent(`${E.vendor}/boletos`)}`);
  const victim2 = await pluginFrameOf(evil2, '#victim');
  await until('the framed boleto page to be blocked', async () => victim2.url().startsWith('chrome-error://'), { timeout: 10000 });

  // The same token at top level: replayed, because the blocked frame's launch spent it (the
  // vendor verified it and answered 200 above). Never data; the error page removes the token
  // from its address.
  const top = await b.newPage();
  await top.goto(launch.url);
  const code = await errorCodeShown(top, 'the launch URL opened at top level with a used token');
  await shot(top, '2-top-level-replayed');
  assert.equal(code, 'replayed', `the replayed launch token at top level shows error code ${code}, not replayed`);
  assert.equal(await top.locator('tr.boleto').count(), 0, 'the replayed launch shows boletos');
  const topSearch = await until('the error page to remove the token from its address',
    async () => { const q = await top.evaluate(() => location.search); return /token/.test(q) ? null : { q }; }, { timeout: 5000 })
    .catch(async () => ({ q: await top.evaluate(() => location.search) }));
  assert.ok(!/token/.test(topSearch.q), `the replayed error page left the token in its address: location.search ${topSearch.q}`);

  // Nothing ever used the framed launch's session: from the framing on, the vendor saw only the
  // two launch URLs, the framed /boletos and the top-level error page's assets; no bearer, no
  // API call, no exchange, no form POST.
  await sleep(500);
  const after = E.vendorLog.since(mark);
  const used = after.filter((e) => e.authorization || e.method !== 'GET' ||
    !(/^\/launch\?token=/.test(e.target) || ['/boletos', '/favicon.ico'].includes(e.target) || e.target.startsWith('/assets/')));
  assert.deepEqual(used, [], `a request after the framed launch could have used its session: ${JSON.stringify(used)}`);
  assert.equal(after.filter((e) => e.target.startsWith('/launch')).length, 2, `expected the framed and the top-level launch only: ${JSON.stringify(after)}`);
});

async function launchAndUse(b, page, id, label) {
  const frame = await openFromMenu(page, id);
  const first = await boletosShown(frame, `${label}: launch`);
  assert.equal(new URL(frame.url()).origin, E.vendor);
  const search = await frame.evaluate(() => location.search);
  assert.ok(!/token/.test(search), `${label}: the frame's location.search still has the token: ${search}`);
  return { frame, first };
}

claim('3. no launch token in any Referer or URL logged after the launch (query and form_post), and none in the frame\'s location.search; each delivery\'s token sent the other way is refused as `wrong_delivery`', async () => {
  // The witnesses first: a Referer sent to the vendor and to evil.test shows up verbatim in their
  // request logs, and the leak filter below catches it (else "no Referer with a token" would
  // pass however the logs were written).
  const SELF = 'https://x.test/?token=eyJhbGciOiJFZERTQSJ9.eyJzZWxmY2hlY2siOnRydWV9.c2VsZi1jaGVjay1zaWduYXR1cmU';
  const vm0 = E.vendorLog.mark();
  const em0 = E.evilServer.log.length;
  await E.request(`${E.vendor}/assets/vendor.css?e2e=referer-self-check`, { referer: SELF }, '127.0.0.2');
  await E.request(`${E.evil}/probe/echo?e2e=referer-self-check`, { referer: SELF }, '127.0.0.1');
  const vSelf = E.vendorLog.since(vm0).find((e) => e.target.endsWith('e2e=referer-self-check'));
  assert.ok(vSelf && vSelf.referer === SELF, `control: a Referer sent to the vendor is not in its request log: ${JSON.stringify(vSelf)}`);
  const eSelf = E.evilServer.log.slice(em0).find((e) => e.target.endsWith('e2e=referer-self-check'));
  assert.ok(eSelf && eSelf.referer === SELF, `control: a Referer sent to evil.test is not in its request log: ${JSON.stringify(eSelf)}`);
  assert.ok(E.JWT.test(vSelf.referer) && E.JWT.test(eSelf.referer), 'control: the leak filter does not see a JWT in a Referer');
  // Those two entries are the self-check's own: the log checks below start after them.

  const b = await browser();
  const seenByBrowser = recordVendorRequests(b);
  const page = await b.newPage();
  await login(page, E.portal, 'ana');
  for (const id of ['financeiro', 'financeiro-post']) {
    const vMark = E.vendorLog.mark();
    const eMark = E.evilServer.log.length;
    const pMark = E.portalLog.mark();
    await page.goto(`${E.portal}/`);
    const { frame } = await launchAndUse(b, page, id, id);
    // Navigate inside the frame (the reload link: bounce, renewal through the portal, POST back).
    await frame.click('#reload');
    await until(`${id}: the page after the in-frame navigation`, async () => {
      const f = await pluginFrame(page);
      return (await f.locator('#boletos tr.boleto').count()) > 0 && (await f.locator('body[data-api-boletos]').count()) > 0;
    });
    // A link out of the plugin to another site (evil.test), opened from the vendor page.
    const f2 = await pluginFrame(page);
    const popup = b.waitForEvent('page', { timeout: 10000 });
    await f2.evaluate((href) => {
      const a = document.createElement('a');
      a.href = href; a.target = '_blank'; a.rel = 'opener';
      document.body.appendChild(a); a.click();
    }, `${E.evil}/probe/echo?from=${id}`);
    const out = await popup;
    await out.waitForLoadState('load');
    await out.close();
    await shot(page, `3-${id}-after-navigation`);

    const vendorLines = E.vendorLog.since(vMark);
    const launches = vendorLines.filter((e) => e.target.startsWith('/launch'));
    assert.equal(launches.length, 1, `${id}: expected one launch request at the vendor, saw ${JSON.stringify(launches)}`);
    const launchIndex = vendorLines.indexOf(launches[0]);
    if (id === 'financeiro') {
      assert.equal(launches[0].method, 'GET');
      assert.match(launches[0].target, /[?&]token=/, 'query delivery: the launch itself carries the token (expected)');
    } else {
      assert.equal(launches[0].method, 'POST', 'form_post delivery: the launch is a POST');
      assert.doesNotMatch(launches[0].target, E.JWT, `form_post: the launch URL has a token: ${launches[0].target}`);
    }
    assert.equal(launches[0].referer, null, `${id}: the launch request sent a Referer: ${launches[0].referer}`);
    const leaks = vendorLines.slice(launchIndex + 1).filter((e) => E.JWT.test(e.target) || E.JWT.test(e.referer || ''));
    assert.deepEqual(leaks, [], `${id}: a launch token in a URL or Referer the vendor logged after the launch`);
    const portalLeaks = E.portalLog.since(pMark).filter((e) => E.JWT.test(e.target) || E.JWT.test(e.referer || ''));
    assert.deepEqual(portalLeaks, [], `${id}: a launch token in a URL or Referer the portal logged`);
    const evilLines = E.evilServer.log.slice(eMark);
    assert.ok(evilLines.some((e) => e.target.startsWith('/probe/echo')), `${id}: evil.test never received the out-link request`);
    const evilLeaks = evilLines.filter((e) => E.JWT.test(e.target) || E.JWT.test(e.referer || '') || E.JWT.test(e.body));
    assert.deepEqual(evilLeaks, [], `${id}: a launch token reached evil.test`);
    const search = await pluginFrame(page).then((f) => f.evaluate(() => location.search));
    assert.ok(!/token/.test(search), `${id}: location.search after navigation: ${search}`);
  }
  // A second, independent witness: the Referer of every request the browser sent to the vendor,
  // as Playwright saw it leave (all headers, not the reduced set).
  const browserReferers = [];
  for (const r of seenByBrowser) {
    const h = await r.request.allHeaders().catch(() => null);
    if (h && h.referer) browserReferers.push({ url: r.url, referer: h.referer });
  }
  const browserLeaks = browserReferers.filter((r) => E.JWT.test(r.referer));
  assert.deepEqual(browserLeaks, [], 'the browser sent a launch token in a Referer to the vendor');
  assert.ok(seenByBrowser.length > 5, `the browser-side witness saw only ${seenByBrowser.length} vendor requests`);

  // And nowhere at all in the attacker's log over the whole run so far (but the self-check).
  const anywhere = E.evilServer.log.filter((e) => e !== eSelf && E.JWT.test(JSON.stringify(e)));
  assert.deepEqual(anywhere, [], 'a JWT-shaped string appears in evil.test\'s request log');

  // PROTOCOL.md §5: the vendor accepts each plugin's one delivery. A form_post plugin's token
  // sent as ?token= and a query plugin's token sent as a form POST are refused as
  // wrong_delivery, with no data; the error page removes the token from its address.
  const wrong = await b.newPage();
  for (const [id, other] of [['financeiro-post', 'query'], ['financeiro', 'form_post']]) {
    const unused = await unusedLaunchToken(b, page, id);
    const vMark = E.vendorLog.mark();
    if (other === 'query') {
      await wrong.goto(`${E.vendor}/launch?token=${encodeURIComponent(unused.token)}`);
    } else {
      await wrong.goto(`${E.evil}/frame?src=about:blank`);
      await wrong.evaluate(({ action, token }) => {
        const f = document.createElement('form');
        f.method = 'POST'; f.action = action;
        const i = document.createElement('input'); i.name = 'token'; i.value = token; f.appendChild(i);
        document.body.appendChild(f); f.submit();
      }, { action: `${E.vendor}/launch`, token: unused.token });
      await wrong.waitForURL(`${E.vendor}/launch`);
    }
    const code = await errorCodeShown(wrong, `${id}: its token sent by ${other}`);
    await shot(wrong, `3-${id}-by-${other}-wrong-delivery`);
    assert.equal(code, 'wrong_delivery', `${id}: its token sent by ${other} shows error ${code}, not wrong_delivery`);
    assert.equal(await wrong.locator('tr.boleto').count(), 0, `${id}: data shown for a token sent by ${other}`);
    const q = await until(`${id}: the error page to remove the token from its address`, async () => {
      const v = await wrong.evaluate(() => location.search);
      return /token/.test(v) ? null : { v };
    }, { timeout: 5000 }).catch(async () => ({ v: await wrong.evaluate(() => location.search) }));
    assert.ok(!/token/.test(q.v), `${id}: the wrong_delivery error page left the token in its address: ${q.v}`);
    const vLines = E.vendorLog.since(vMark);
    assert.ok(vLines.every((e) => !e.authorization && !e.target.startsWith('/api/') && !e.target.startsWith('/cv/')),
      `${id}: something used a session after a wrong-delivery launch: ${JSON.stringify(vLines)}`);
  }
});

async function sessionJourney(b, label) {
  const page = await b.newPage();
  const seen = recordVendorRequests(b);
  await login(page, E.portal, 'ana');
  const { frame, first } = await launchAndUse(b, page, 'financeiro', label);
  const rowId = first.rows[0];

  // XHR: the page script already did one; one more, from the page's own client.
  const xhr = await frame.evaluate(() => window.cvPluginPage.fetch('/api/boletos', { headers: { Accept: 'application/json' } })
    .then(async (r) => ({ status: r.status, n: (await r.json()).boletos.length })));
  assert.equal(xhr.status, 200, `${label}: XHR /api/boletos answered ${xhr.status}`);
  assert.equal(xhr.n, first.rows.length, `${label}: XHR count`);

  // Form POST (the e-mail form).
  await frame.click(`button.email[data-id="${rowId}"]`);
  const f1 = await until(`${label}: the page after the e-mail form POST`, async () => {
    const f = await pluginFrame(page);
    return (await f.locator('#notice').count()) > 0 ? f : null;
  });
  const notice = (await f1.locator('#notice').textContent()).trim();
  await boletosShown(f1, `${label}: after the form POST`);
  await shot(page, `4-${label}-after-form-post`);

  // PDF download through a one-time ticket.
  const download = page.waitForEvent('download', { timeout: 15000 });
  await f1.click(`button.pdf[data-id="${rowId}"]`);
  const dl = await download.catch((e) => { throw new Error(`${label}: no PDF download started: ${e.message.split('\n')[0]}`); });
  const file = await dl.path();
  const bytes = require('node:fs').readFileSync(file);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', `${label}: the download is not a PDF (${dl.suggestedFilename()})`);
  assert.match(new URL(dl.url()).search, /ticket=/, `${label}: the PDF URL has no ticket: ${dl.url()}`);

  // Navigation inside the frame (bounce page, renewal, POST back).
  await f1.click('#reload');
  const f2 = await until(`${label}: the page after the in-frame navigation`, async () => {
    const f = await pluginFrame(page);
    return (await f.locator('body[data-api-boletos]').count()) > 0 && (await f.locator('#notice').count()) === 0 ? f : null;
  });
  const again = await boletosShown(f2, `${label}: after navigation`);
  assert.deepEqual(again.rows, first.rows, `${label}: different boletos after navigation`);
  await shot(page, `4-${label}-after-navigation`);
  await page.close();
  return { notice, seen };
}

claim('4. the session survives navigation, XHR, a form POST and the PDF download with third-party cookies blocked, and with every Cookie header to the vendor stripped', async () => {
  const mark = E.vendorLog.mark();
  const b1 = await browser();
  const journey1 = await sessionJourney(b1, 'blocked');
  await b1.close();
  const run1 = E.vendorLog.since(mark);
  const withCookie = run1.filter((e) => e.cookie);
  const api = run1.filter((e) => e.target.startsWith('/api/'));
  assert.ok(api.length > 0 && api.every((e) => e.authorization),
    `with third-party cookies blocked every API call must carry the bearer: ${JSON.stringify(api.filter((e) => !e.authorization))}`);

  // The stripping itself, checked from Node so the second run cannot pass vacuously: the same
  // request with a Cookie header reaches the vendor with it directly, and without it through the proxy.
  const m0 = E.vendorLog.mark();
  await E.request(`${E.vendor}/assets/vendor.css?e2e=direct`, { cookie: 'e2e=1' }, '127.0.0.2');
  await E.request(`${E.vendor}/assets/vendor.css?e2e=proxied`, { cookie: 'e2e=1' }, '127.0.0.1');
  const selfCheck = E.vendorLog.since(m0);
  const direct = selfCheck.find((e) => e.target.endsWith('e2e=direct'));
  const proxied = selfCheck.find((e) => e.target.endsWith('e2e=proxied'));
  assert.ok(direct && direct.cookie === true, `control: a Cookie sent directly to the vendor was not logged as such: ${JSON.stringify(direct)}`);
  assert.ok(proxied && proxied.cookie === false, `the proxy did not strip the Cookie header: ${JSON.stringify(proxied)}`);

  const proxyBefore = { ...E.proxy.stats, log: undefined };
  const mark2 = E.vendorLog.mark();
  const b2 = await browser({ viaProxy: true });
  await sessionJourney(b2, 'cookies-stripped');
  await b2.close();
  const through = E.proxy.stats.requests - proxyBefore.requests;
  assert.ok(through > 5, `the stripped run did not go through the proxy (${through} requests)`);
  const lines = E.vendorLog.since(mark2);
  const cookied = lines.filter((e) => e.cookie);
  assert.deepEqual(cookied, [], 'the vendor received a Cookie header in the cookie-stripped run');
  process.stderr.write(`e2e: test 4: cookie headers the vendor received with third-party cookies blocked: ${withCookie.length}; ` +
    `stripped by the proxy in the second run: ${E.proxy.stats.cookieHeadersStripped - proxyBefore.cookieHeadersStripped} of ${through} requests\n`);
  assert.ok(journey1.seen.length > 0);
});

claim('5. past the session lifetime the XHR gets the 401 signal and the page renews over postMessage; a forged reply from evil.test is ignored; a token request from a window that is not the registered frame, or from the registered frame navigated to evil.test (wrong origin), gets no answer', async () => {
  const t0 = Date.now();
  const lap = (what) => process.stderr.write(`e2e: test 5: ${what} at +${Date.now() - t0} ms\n`);
  const b = await browser();
  const seen = recordVendorRequests(b);
  const login1 = await b.newPage();
  await login(login1, E.portal, 'ana');
  // evil.test opens the portal's plugin page in a window it holds, so it can post into its frames.
  const evil = await b.newPage();
  await evil.goto(`${E.evil}/frame?src=about:blank`);
  await evil.evaluate(() => {
    const button = document.createElement('button');
    button.id = 'open';
    button.textContent = 'open';
    button.onclick = () => { window.__win = window.open(button.dataset.url, 'portalwin'); };
    document.body.appendChild(button);
  });
  await evil.evaluate((u) => { document.getElementById('open').dataset.url = u; }, `${E.portal}/plugins/financeiro`);
  const popupP = b.waitForEvent('page');
  await evil.click('#open');
  const portal = await popupP;
  const frame = await pluginFrame(portal);
  const first = await boletosShown(frame, 'financeiro in the window evil.test opened');

  // Watch the portal window's messages (the harness's eyes, not the attacker's).
  await portal.evaluate(() => {
    window.__e2eRequests = [];
    addEventListener('message', (e) => {
      if (e.data && e.data.type === 'cv-plugin:launch-token-request') window.__e2eRequests.push({ id: e.data.id, origin: e.origin });
    });
  });
  // The portal's mint is held until the plugin frame has received evil's forged reply, so the
  // forgery provably arrives first (while the page still waits for its answer).
  let forgeryArrived;
  const forgeryIn = new Promise((resolve) => { forgeryArrived = resolve; });
  const minted = [];
  b.on('response', async (r) => {
    if (/\/api\/plugins\/[^/]+\/launch-token$/.test(new URL(r.url()).pathname) && r.status() === 200) {
      const body = await r.json().catch(() => ({}));
      if (body.token) minted.push(body.token);
    }
  });
  await b.route(`${E.portal}/api/plugins/*/launch-token`, async (route) => {
    // Bounded, so a forgery that never arrives fails the ordering assertion, not the run.
    await Promise.race([forgeryIn, new Promise((r) => setTimeout(r, 20000))]);
    await route.continue().catch(() => {});
  });

  // The harness's eyes in the plugin frame: which origins post to it, in order.
  await frame.evaluate(() => {
    window.__e2eSeen = [];
    addEventListener('message', (e) => window.__e2eSeen.push({ origin: e.origin, type: e.data && e.data.type }));
  });
  lap('ready');
  const advance = await E.post(`${E.vendor}/__test/clock/advance?secs=${E.SESSION_LIFETIME + 30}`);
  assert.ok(advance.status >= 200 && advance.status < 300, `/__test/clock/advance answered ${advance.status}: ${advance.body}`);

  const responses = [];
  b.on('response', (r) => { if (r.url().startsWith(`${E.vendor}/api/boletos`)) responses.push(r); });
  const xhr = frame.evaluate(() => window.cvPluginPage.fetch('/api/boletos', { headers: { Accept: 'application/json' } })
    .then(async (r) => ({ status: r.status, n: (await r.json()).boletos.length }), (e) => ({ error: e.code || e.message })));

  const req = await until('the plugin page to ask the portal for a launch token (postMessage)', async () => {
    const r = await portal.evaluate(() => window.__e2eRequests);
    return r.length ? r[0] : null;
  }, { timeout: 10000 });
  assert.equal(req.origin, E.vendor, `the launch-token request came from ${req.origin}`);
  const FORGED = 'eyJhbGciOiJFZERTQSJ9.eyJmb3JnZWQiOnRydWUsInN1YiI6ImF0dGFja2VyIn0.Zm9yZ2VkLXNpZ25hdHVyZS1mcm9tLWV2aWw';
  // The forged reply, posted by evil.test into the plugin frame with the right id.
  await evil.evaluate(({ id, token, vendor }) => {
    window.__win.frames[0].postMessage({ type: 'cv-plugin:launch-token-response', version: 1, id, token }, vendor);
  }, { id: req.id, token: FORGED, vendor: E.vendor });

  lap('forged reply posted');
  await until('the plugin frame to receive evil.test\'s forged reply', async () =>
    (await frame.evaluate(() => window.__e2eSeen)).some((m) => m.origin === E.evil), { timeout: 10000 })
    .finally(() => forgeryArrived());
  lap('forged reply received by the frame; the mint goes on');
  const result = await Promise.race([xhr, new Promise((r) => setTimeout(() => r({ error: 'harness timeout 20 s' }), 20000))]);
  lap('XHR settled');
  await shot(portal, '5-renewed-after-clock-advance');
  const frameSaw = await frame.evaluate(() => window.__e2eSeen);
  assert.deepEqual(frameSaw.map((m) => m.origin), [E.evil, E.portal],
    `the plugin frame should have received evil.test's forged reply first, then the portal's: ${JSON.stringify(frameSaw)}`);
  const statuses = responses.map((r) => r.status());
  const first401 = responses.find((r) => r.status() === 401);
  assert.ok(first401, `no 401 from /api/boletos after the clock moved (statuses ${JSON.stringify(statuses)})`);
  const challenge = await first401.headerValue('www-authenticate');
  assert.match(challenge || '', /^Bearer .*realm="cv-plugin-session"/, `the 401 has no cv-plugin-session challenge: ${challenge}`);
  assert.deepEqual(result, { status: 200, n: first.rows.length }, `the XHR after renewal: ${JSON.stringify(result)}`);
  const exchanged = exchangeTokens(seen);
  assert.ok(!exchanged.includes(FORGED), 'the page sent the forged token (evil.test\'s reply) to the exchange endpoint');
  assert.equal(exchanged.length, 1, `expected one exchange, saw ${exchanged.length}`);
  assert.equal(exchanged[0], minted[0], 'the exchanged token is not the one the portal minted');
  await b.unrouteAll({ behavior: 'ignoreErrors' });

  // A token request from a window that is not a registered frame (evil.test's own window, which
  // holds the portal window) gets no answer, and costs no mint: the listener's source check.
  const mintsBefore = E.portalLog.all().filter((e) => e.target.includes('/launch-token')).length;
  await evil.evaluate(({ portalOrigin }) => {
    window.__e2eMessages = [];
    window.__win.postMessage({ type: 'cv-plugin:launch-token-request', version: 1, id: 'AAAAAAAAAAAAAAAAAAAAAA' }, portalOrigin);
  }, { portalOrigin: E.portal });
  lap('wrong-origin request posted');
  await sleep(2000);
  const delivered = await portal.evaluate(() => window.__e2eRequests);
  assert.ok(delivered.some((m) => m.origin === E.evil),
    `evil.test's token request never reached the portal window, so "no answer" would prove nothing: ${JSON.stringify(delivered)}`);
  const replies = await evil.evaluate(() => window.__e2eMessages);
  assert.deepEqual(replies, [], `the portal answered a token request from evil.test: ${JSON.stringify(replies)}`);
  const mintsAfter = E.portalLog.all().filter((e) => e.target.includes('/launch-token')).length;
  assert.equal(mintsAfter, mintsBefore, 'the portal minted a token for a request from evil.test');
  await shot(evil, '5-evil-got-no-answer');

  // A token request from the registered plugin frame itself, navigated to evil.test: the source
  // is the registered iframe's window, so only the listener's origin check refuses it. evil.test
  // is in the portal's frame-src because a hidden plugin (active: false) links there; /ask posts
  // a launch-token request to its parent, the portal window.
  const requestsBefore = (await portal.evaluate(() => window.__e2eRequests)).length;
  const mints2 = E.portalLog.all().filter((e) => e.target.includes('/launch-token')).length;
  await frame.evaluate((u) => { location.href = u; }, `${E.evil}/ask?portal=${encodeURIComponent(E.portal)}`);
  const asker = await until('the plugin frame to be on evil.test/ask and to have asked', async () => {
    const f = await pluginFrame(portal);
    if (!f.url().startsWith(`${E.evil}/ask`)) return null;
    return (await f.evaluate(() => window.__e2eAsked === true).catch(() => false)) ? f : null;
  }, { timeout: 10000 });
  lap('wrong-origin request posted from the registered frame');
  await sleep(2000);
  const delivered2 = (await portal.evaluate(() => window.__e2eRequests)).slice(requestsBefore);
  assert.deepEqual(delivered2.map((m) => m.origin), [E.evil],
    `the registered frame's request from evil.test should have reached the portal window once: ${JSON.stringify(delivered2)}`);
  const replies2 = await asker.evaluate(() => window.__e2eReplies);
  assert.deepEqual(replies2, [], `the portal answered the registered frame once it was on evil.test: ${JSON.stringify(replies2)}`);
  const mintsAfter2 = E.portalLog.all().filter((e) => e.target.includes('/launch-token')).length;
  assert.equal(mintsAfter2, mints2, 'the portal minted a token for its registered frame navigated to evil.test (the listener\'s origin check)');
  await shot(portal, '5-frame-on-evil-got-no-answer');
  lap('end');
});

claim('6. the person reloading the frame (query) renews through the portal and shows the data again; reloading the iframe or reusing the launch token in a second browser is refused as `replayed` and recovered by a renewal (never by the token); going back never reopens the old launch', async () => {
  const b = await browser();
  const seen = recordVendorRequests(b);
  const page = await b.newPage();
  await login(page, E.portal, 'ana');

  for (const id of ['financeiro', 'financeiro-post']) {
    await page.goto(`${E.portal}/`);
    const frame = await openFromMenu(page, id);
    await boletosShown(frame, `${id}: launch`);
    const iframe = await page.$('#plugin-frame');
    const src = await iframe.getAttribute('src');
    const srcdoc = await iframe.getAttribute('srcdoc');
    const original = src ? tokenOf(src) : /value="(eyJ[^"]+)"/.exec(srcdoc || '')[1];

    if (id === 'financeiro') {
      // The person's own reload of the frame (browser "Reload frame", or location.reload()
      // inside it): the page removed `token` from its address, so the reload is GET /launch
      // without a token → the bounce page → a renewal through the portal (a fresh token) → the
      // boleto page again with data. Never the original token.
      const mark = seen.length;
      const exchangesBefore = exchangeTokens(seen).length;
      assert.ok(!/token/.test(await frame.evaluate(() => location.search)), `${id}: the token is still in the frame's address before the reload`);
      await frame.evaluate(() => location.reload());
      await until(`${id}: a renewal after the person reloaded the frame`, async () => exchangeTokens(seen).length > exchangesBefore);
      const again = await until(`${id}: the boleto page after the person's reload`, async () => {
        const f = await pluginFrame(page);
        return (await f.locator('body[data-api-boletos]').count()) > 0 ? f : null;
      });
      const shownAgain = await boletosShown(again, `${id}: after the person's reload`);
      assert.ok(shownAgain.rows.length > 0, `${id}: no boletos after the person's reload`);
      await shot(page, `6-${id}-person-reloaded-frame`);
      const during = seen.slice(mark);
      const launches = during.filter((r) => new URL(r.url).pathname === '/launch');
      const carried = launches.filter((r) => tokenOf(r.url) || new URLSearchParams(r.body).get('token'));
      assert.deepEqual(carried.map((r) => r.url), [], `${id}: the person's reload sent a launch token to /launch`);
      assert.ok(launches.some((r) => r.method === 'GET' && !new URL(r.url).search),
        `${id}: the reload was not a GET /launch without a token: ${JSON.stringify(launches.map((r) => `${r.method} ${r.url}`))}`);
      assert.ok(launches.some((r) => r.method === 'POST' && new URLSearchParams(r.body).get('session')),
        `${id}: the bounce page did not post a session back to /launch: ${JSON.stringify(launches.map((r) => `${r.method} ${r.url}`))}`);
      const renewed = exchangeTokens(seen).slice(exchangesBefore);
      assert.equal(renewed.length, 1, `${id}: expected one exchange after the person's reload, saw ${renewed.length}`);
      assert.notEqual(renewed[0], original, `${id}: the person's reload exchanged the original launch token`);
    }

    // Reload the iframe element: the same launch (query src or form_post srcdoc) again.
    await page.evaluate(() => {
      const f = document.getElementById('plugin-frame');
      if (f.hasAttribute('srcdoc')) { const d = f.srcdoc; f.srcdoc = d; } else { const s = f.src; f.src = s; }
    });
    const reloaded = await until(`${id}: the reloaded frame to show the vendor's error page`, async () => {
      const f = await pluginFrame(page);
      return (await f.locator('#error-code').count()) > 0 ? f : null;
    });
    const code = (await reloaded.locator('#error-code').textContent()).trim();
    await shot(page, `6-${id}-reload-replayed`);
    assert.equal(code, 'replayed', `${id}: reloading the iframe showed error ${code}, not replayed`);
    assert.equal(await reloaded.locator('tr.boleto').count(), 0, `${id}: the replayed reload shows data`);

    // Recovery: the error page's link renews through the portal (a fresh token, never the old one).
    const before = exchangeTokens(seen).length;
    await reloaded.click('#retry');
    const recovered = await until(`${id}: the page after "Abrir novamente"`, async () => {
      const f = await pluginFrame(page);
      return (await f.locator('body[data-api-boletos]').count()) > 0 ? f : null;
    });
    await boletosShown(recovered, `${id}: recovered`);
    const fresh = exchangeTokens(seen).slice(before);
    assert.ok(fresh.length >= 1, `${id}: the recovery did not go through the exchange endpoint`);
    assert.ok(!fresh.includes(original), `${id}: the recovery reused the launch token`);
    await shot(page, `6-${id}-recovered`);

    // Going back: a fresh launch, one navigation inside the frame, then back to the launch entry
    // of the session history. The old launch must not open the page again: a /launch request
    // that carries the original token (query or POST body) is refused, and data on screen only
    // ever comes from a renewal with a fresh token.
    await page.goto(`${E.portal}/`);
    const f0 = await openFromMenu(page, id);
    await boletosShown(f0, `${id}: launch before going back`);
    const iframe2 = await page.$('#plugin-frame');
    const launchToken = (await iframe2.getAttribute('src')) ? tokenOf(await iframe2.getAttribute('src'))
      : /value="(eyJ[^"]+)"/.exec((await iframe2.getAttribute('srcdoc')) || '')[1];
    const historyAtLaunch = await page.evaluate(() => history.length);
    await f0.click('#reload');
    await until(`${id}: the page after the in-frame navigation`, async () => {
      const f = await pluginFrame(page);
      return new URL(f.url()).pathname === '/boletos' && (await f.locator('body[data-api-boletos]').count()) > 0;
    });
    const historyNow = await page.evaluate(() => history.length);
    const launchAnswers = [];
    const onResponse = (r) => {
      const req = r.request();
      if (!r.url().startsWith(`${E.vendor}/launch`)) return;
      const carried = tokenOf(r.url()) || new URLSearchParams(req.postData() || '').get('token');
      launchAnswers.push({ method: req.method(), carried, status: r.status() });
    };
    b.on('response', onResponse);
    const exchangesBeforeBack = exchangeTokens(seen).length;
    await page.evaluate((n) => history.go(-n), historyNow - historyAtLaunch);
    const back = await until(`${id}: the frame to leave /boletos after going back`, async () => {
      const f = await pluginFrame(page);
      return new URL(f.url()).pathname !== '/boletos' ? f : null;
    }, { timeout: 10000 });
    if (!back.url().startsWith('chrome-error:')) await back.waitForLoadState('load', { timeout: 5000 }).catch(() => {});
    await sleep(1500); // a bounce, if any, renews and posts back
    b.off('response', onResponse);
    const settled = await pluginFrame(page);
    const backCode = await settled.locator('#error-code').textContent({ timeout: 1000 }).catch(() => null);
    const backRows = await settled.locator('tr.boleto').count().catch(() => 0);
    await shot(page, `6-${id}-back`);
    const replays = launchAnswers.filter((a) => a.carried === launchToken);
    process.stderr.write(`e2e: test 6 ${id}: going back: frame at ${settled.url()}, error code ${backCode}, ${backRows} rows; ` +
      `/launch answers ${JSON.stringify(launchAnswers.map((a) => ({ ...a, carried: a.carried ? (a.carried === launchToken ? 'the launch token' : 'another token') : null })))}\n`);
    for (const a of replays) {
      assert.notEqual(a.status, 200, `${id}: going back re-sent the launch token and the vendor accepted it (${a.method} ${a.status})`);
    }
    if (replays.length > 0 && backCode !== null) {
      assert.equal(backCode.trim(), 'replayed', `${id}: going back re-sent the launch token and got error ${backCode}, not replayed`);
    }
    if (backRows > 0) {
      const fresh = exchangeTokens(seen).slice(exchangesBeforeBack);
      assert.ok(fresh.length > 0 && !fresh.includes(launchToken),
        `${id}: after going back the frame shows data that did not come from a renewal with a fresh token`);
    }

    // A second browser (its own profile, nobody logged in) with the same launch token.
    const other = await browser();
    const p2 = await other.newPage();
    if (id === 'financeiro') {
      await p2.goto(`${E.vendor}/launch?token=${encodeURIComponent(original)}`);
    } else {
      await p2.goto(`${E.evil}/frame?src=about:blank`);
      await p2.evaluate(({ action, token }) => {
        const f = document.createElement('form');
        f.method = 'POST'; f.action = action;
        const i = document.createElement('input'); i.name = 'token'; i.value = token; f.appendChild(i);
        document.body.appendChild(f); f.submit();
      }, { action: `${E.vendor}/launch`, token: original });
      await p2.waitForURL(`${E.vendor}/launch`);
    }
    const code2 = await errorCodeShown(p2, `${id}: the launch token reused in a second browser`);
    await shot(p2, `6-${id}-second-browser-replayed`);
    assert.equal(code2, 'replayed', `${id}: the second browser got error ${code2}, not replayed`);
    assert.equal(await p2.locator('tr.boleto').count(), 0, `${id}: the second browser sees data`);
    await other.close();
  }
});
