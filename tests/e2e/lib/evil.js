'use strict';
// The attacker's site (https://evil.test:P) and the cookie probe's third party
// (https://cookie-probe.test:P), one Node HTTPS server that logs every request it receives.
//
// evil.test:
//   GET /frame?src=URL   a page that frames URL (the vendor's launch URL or boleto page)
//   GET /ask?portal=O    a page that posts a launch-token request to its parent (the portal) with
//                        targetOrigin O: test 5 navigates a registered plugin frame here, and the
//                        portal must not answer it (its origin is no longer the plugin's)
// cookie-probe.test (third party) / evil.test (first party) for the third-party cookie probe:
//   GET /probe/set       sets a SameSite=None; Secure cookie `probe=1`
//   GET /probe/echo      answers whether a cookie came, and logs it
//   GET /probe/top?frame=URL  a top-level page framing URL
const https = require('node:https');
const fs = require('node:fs');

function html(res, body, headers = {}) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>e2e</title></head><body>${body}</body></html>`);
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function startEvil({ cert, key, port, logFile }) {
  const log = [];
  const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const host = String(req.headers.host || '').replace(/:\d+$/, '');
      const entry = {
        site: host,
        method: req.method,
        target: req.url,
        referer: req.headers.referer || null,
        origin: req.headers.origin || null,
        cookie: req.headers.cookie || null,
        body: Buffer.concat(chunks).toString('utf8').slice(0, 8192),
      };
      log.push(entry);
      if (logFile) fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
      route(req, res, host);
    });
  });
  function route(req, res, host) {
    const url = new URL(req.url, `https://${req.headers.host}`);
    const p = url.pathname;
    if (p === '/frame') {
      const src = url.searchParams.get('src') || '';
      return html(res, `<h1 id="evil">evil.test</h1>
<iframe id="victim" name="victim" src="${esc(src)}" width="900" height="500"></iframe>
<script>
  window.__e2eMessages = [];
  addEventListener("message", (e) => window.__e2eMessages.push({ origin: e.origin, data: e.data }));
</script>`);
    }
    if (p === '/ask') {
      const portal = url.searchParams.get('portal') || '';
      return html(res, `<p id="ask">asker</p><script>
  window.__e2eReplies = [];
  addEventListener("message", (e) => window.__e2eReplies.push({ origin: e.origin, data: e.data }));
  const id = "AAAAAAAAAAAAAAAAAAAAAA";
  parent.postMessage({ type: "cv-plugin:launch-token-request", version: 1, id }, ${JSON.stringify(portal)});
  window.__e2eAsked = true;
</script>`);
    }
    if (p === '/probe/set') {
      res.setHeader('set-cookie', 'probe=1; Path=/; Secure; SameSite=None; Max-Age=600');
      return html(res, '<p id="set">set</p>');
    }
    if (p === '/probe/echo') {
      return html(res, `<p id="echo" data-cookie="${req.headers.cookie ? 'yes' : 'no'}">${esc(req.headers.cookie || '')}</p>`);
    }
    if (p === '/probe/top') {
      return html(res, `<iframe id="probe" src="${esc(url.searchParams.get('frame') || '')}"></iframe>`);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, log, port: server.address().port }));
  });
}

module.exports = { startEvil };
