'use strict';
// The test CA and the one server certificate for every site of the run. `.ci/e2e.sh` makes them
// with openssl and passes E2E_CERT_DIR; without it (a developer running `node --test` alone) they
// are made here, the same way, into the run's temp dir.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');

const HOSTS = ['portal.test', 'vendor.test', 'evil.test', 'cookie-probe.test'];

function makeCerts(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const o = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  o('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=cv-portal-plugin e2e throwaway CA', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  o('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=portal.test',
    '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'server.ext'),
    `subjectAltName=${HOSTS.map((h) => 'DNS:' + h).join(',')}\n` +
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
}

// base64(sha256(SubjectPublicKeyInfo DER)): the form of --ignore-certificate-errors-spki-list.
function spkiHash(pemFile) {
  const cert = new crypto.X509Certificate(fs.readFileSync(pemFile));
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

function loadCerts(tmp) {
  let dir = process.env.E2E_CERT_DIR;
  if (!dir) {
    dir = path.join(tmp, 'certs');
    makeCerts(dir);
  }
  const files = {
    dir,
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server.key'),
  };
  for (const f of [files.ca, files.cert, files.key]) {
    if (!fs.existsSync(f)) throw new Error(`e2e: missing ${f} (E2E_CERT_DIR must hold ca.pem, server.pem, server.key)`);
  }
  const leaf = new crypto.X509Certificate(fs.readFileSync(files.cert));
  for (const h of HOSTS) {
    if (!leaf.checkHost(h)) throw new Error(`e2e: ${files.cert} does not name ${h}`);
  }
  files.spki = [spkiHash(files.cert), spkiHash(files.ca)];
  return files;
}

module.exports = { HOSTS, makeCerts, loadCerts, spkiHash };
