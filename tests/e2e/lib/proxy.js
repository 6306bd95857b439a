'use strict';
// A small TLS proxy in front of the vendor, for the run where every Cookie header to the vendor
// is stripped. Playwright's `route.continue({headers})` cannot do it: Chromium adds cookies after
// the interception point, so a Cookie removed there is sent anyway (measured: the probe's echo
// still saw its cookie). The proxy listens on 127.0.0.1:P and the vendor on 127.0.0.2:P, so the
// vendor's public URL https://vendor.test:P is the same for both: a browser whose resolver maps
// vendor.test to 127.0.0.1 goes through the proxy, one that maps it to 127.0.0.2 goes direct.
const https = require('node:https');
const fs = require('node:fs');

function startCookieStripper({ cert, key, ca, port, upstreamHost, upstreamPort }) {
  const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync(ca), servername: 'vendor.test' });
  const stats = { requests: 0, cookieHeadersStripped: 0, log: [] };
  const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
    stats.requests++;
    const headers = { ...req.headers };
    const hadCookie = 'cookie' in headers;
    if (hadCookie) stats.cookieHeadersStripped++;
    delete headers.cookie;
    stats.log.push({ method: req.method, target: req.url, hadCookie });
    const upstream = https.request({
      host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers, agent,
      servername: 'vendor.test', timeout: 15000,
    }, (up) => {
      res.writeHead(up.statusCode, up.rawHeaders);
      up.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`e2e proxy: ${e.message}`);
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, stats, close: () => { agent.destroy(); server.close(); } }));
  });
}

module.exports = { startCookieStripper };
