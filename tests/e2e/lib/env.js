'use strict';
// The whole stage of the run: certificates, the three sites (portal_demo, vendor_demo, the evil
// Node server), the cookie-stripping proxy, temp dirs, logs, screenshots. One per `node --test`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { loadCerts, HOSTS } = require('./certs');
const { startServer, freePort, portFree, killAll } = require('./procs');
const { startEvil } = require('./evil');
const { startCookieStripper } = require('./proxy');
const browser = require('./browser');

const REPO = path.resolve(__dirname, '..', '..', '..');
const SHOTS = path.join(REPO, 'target', 'e2e-screenshots');
// The vendor's session lifetime in the run, and how far the clock test moves it (less than the
// launch tokens' 300 s, so a fresh launch token still verifies on the moved clock).
const SESSION_LIFETIME = 60;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

function binDir() {
  const dir = process.env.E2E_BIN_DIR || path.join(REPO, 'target', 'debug', 'examples');
  for (const name of ['portal_demo', 'vendor_demo']) {
    if (!fs.existsSync(path.join(dir, name))) {
      throw new Error(`e2e: ${path.join(dir, name)} is missing: build the demos first ` +
        '(cargo build --example portal_demo --example vendor_demo --features portal,vendor,axum,http) ' +
        'or set E2E_BIN_DIR; .ci/e2e.sh does both');
    }
  }
  return dir;
}

function pluginsJson(vendorUrl, evilUrl) {
  const base = (id, title, icon) => ({
    id, name: `${title} (ERP demo)`, active: true, link: `${vendorUrl}/launch`, icon, title,
    show_in_client_portal: false, show_in_manager_panel: false, kind: 'iframe',
    iframe_size: { width: '100%', height: '720px' }, visible_to: 'cliente',
    auth: { type: 'token', token_lifetime_seconds: 300 }, delivery: 'query', client_data: ['name'],
  });
  return [
    { ...base('financeiro', 'Financeiro', 'boleto'), show_in_client_portal: true },
    { ...base('financeiro-post', 'Financeiro (form POST)', 'financeiro'), show_in_client_portal: true,
      delivery: 'form_post', client_data: ['name', 'units'] },
    { ...base('condominio', 'Condomínio', 'predio'), show_in_client_portal: true, visible_to: 'sindico' },
    { ...base('relatorios', 'Relatórios', 'grafico'), show_in_manager_panel: true },
    // Hidden from everyone (inactive): its link puts evil.test into the portal's frame-src, so
    // test 5 can navigate a registered plugin frame to evil.test (the listener's origin check).
    { ...base('evil-hidden', 'Oculto', 'boleto'), active: false, link: `${evilUrl}/ask`, show_in_client_portal: true },
  ];
}

class RequestLog {
  constructor(file) { this.file = file; }
  all() {
    if (!fs.existsSync(this.file)) return [];
    return fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }
  mark() { return this.all().length; }
  since(mark) { return this.all().slice(mark); }
}

async function setup() {
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'cv-e2e-'));
  const certs = loadCerts(tmp);
  fs.mkdirSync(SHOTS, { recursive: true });
  const bins = binDir();

  // Ports chosen now. The vendor's port must be free on 127.0.0.1 (the proxy) and 127.0.0.2.
  const portalPort = await freePort();
  let vendorPort;
  for (let i = 0; i < 20 && !vendorPort; i++) {
    const p = await freePort();
    if (await portFree('127.0.0.2', p)) vendorPort = p;
  }
  if (!vendorPort) throw new Error('e2e: no port free on both 127.0.0.1 and 127.0.0.2');
  const portal = `https://portal.test:${portalPort}`;
  const vendor = `https://vendor.test:${vendorPort}`;

  const evil = await startEvil({ cert: certs.cert, key: certs.key, port: 0, logFile: path.join(tmp, 'evil.log') });
  const evilUrl = `https://evil.test:${evil.port}`;
  const probeUrl = `https://cookie-probe.test:${evil.port}`;
  const proxy = await startCookieStripper({
    cert: certs.cert, key: certs.key, ca: certs.ca, port: vendorPort,
    upstreamHost: '127.0.0.2', upstreamPort: vendorPort,
  });

  const pluginsFile = path.join(tmp, 'plugins.json');
  fs.writeFileSync(pluginsFile, JSON.stringify(pluginsJson(vendor, evilUrl), null, 2));
  const portalLog = new RequestLog(path.join(tmp, 'portal-requests.log'));
  const vendorLog = new RequestLog(path.join(tmp, 'vendor-requests.log'));
  const env = { ...process.env, TMPDIR: tmp, RUST_BACKTRACE: '1' };

  const portalProc = await startServer('portal_demo', path.join(bins, 'portal_demo'), [
    '--addr', `127.0.0.1:${portalPort}`, '--public-url', portal, '--plugins', pluginsFile,
    '--tls-cert', certs.cert, '--tls-key', certs.key, '--request-log', portalLog.file,
  ], { prefix: 'portal_demo: serving', env });
  const vendorProc = await startServer('vendor_demo', path.join(bins, 'vendor_demo'), [
    '--addr', `127.0.0.2:${vendorPort}`, '--public-url', vendor, '--portal', portal,
    '--plugin', 'financeiro', '--plugin', 'financeiro-post:form_post', '--plugin', 'condominio', '--plugin', 'relatorios',
    '--tls-cert', certs.cert, '--tls-key', certs.key, '--ca-cert', certs.ca,
    '--resolve', 'portal.test=127.0.0.1', '--request-log', vendorLog.file,
    '--test-hooks', '--session-lifetime', String(SESSION_LIFETIME),
  ], { prefix: 'vendor_demo: serving', env });

  const browsers = new Set();
  const ctx = {
    tmp, certs, portal, vendor, evil: evilUrl, probe: probeUrl, evilServer: evil, proxy,
    portalLog, vendorLog, portalProc, vendorProc, SESSION_LIFETIME, JWT, SHOTS,
    setupMs: Date.now() - started,
    // A fresh browser (own profile). vendorDirect=false: through the cookie-stripping proxy.
    async browser({ thirdPartyCookies = 'blocked', viaProxy = false } = {}) {
      const b = await browser.launch({
        tmp, hosts: HOSTS, spki: certs.spki, thirdPartyCookies, vendorIp: viaProxy ? '127.0.0.1' : '127.0.0.2',
      });
      browsers.add(b);
      b.on('close', () => browsers.delete(b));
      return b;
    },
    readPref: browser.readPref,
    // A request from Node to the vendor (the clock hook; the proxy's self-check), to `ip`:
    // 127.0.0.2 is the vendor itself, 127.0.0.1 the cookie-stripping proxy in front of it.
    request(url, headers = {}, ip = '127.0.0.2', method = 'GET') {
      return new Promise((resolve, reject) => {
        const u = new URL(url);
        const req = https.request({
          host: ip, port: u.port, path: u.pathname + u.search, method, servername: u.hostname,
          headers: { host: u.host, 'content-length': 0, ...headers }, ca: fs.readFileSync(certs.ca), timeout: 10000,
        }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => { body += c; });
          res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
        req.on('error', reject);
        req.end();
      });
    },
    post(url) { return this.request(url, {}, '127.0.0.2', 'POST'); },
    async teardown() {
      for (const b of [...browsers]) await b.close().catch(() => {});
      proxy.close();
      evil.server.close();
      killAll();
      if (!process.env.E2E_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return ctx;
}

module.exports = { setup, SHOTS, REPO };
