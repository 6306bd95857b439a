// CV plugin client data in Node with `jose` and fetch: the vendor's side of PROTOCOL.md §10-11,
// proved on a portal.
//
//     cd conformance && npm ci && node client_data.mjs ../vectors/client-data.json --portal http://127.0.0.1:PORT
//
// If you are an ERP vendor, read `fetchDiscovery`, `clientDataRequest` and `readClientData` below.
// With `verifyLaunchToken` (verify_vectors.mjs) they are the whole exchange: fetch the portal's
// discovery document for the issuer you were configured with (never for an `iss` read from an
// unverified token), verify the launch token, then redeem it once at the portal's client-data
// endpoint and read the answer as §11's "vendor's view" table says. The HTTP client is yours
// (`get` below: fetch here, without redirects); the recipe only needs a GET that resolves to the
// status, the headers and at most 64 KiB + 1 of the body.
//
// The script then runs the cases of vectors/client-data.json, in order, against a portal serving
// that fixture (`cargo run --example portal_loopback`, fresh for each run: the cases redeem
// tokens). The fixture's documents name `https://portal.test`; the script reaches them at
// `--portal` by replacing that origin. For each case it verifies the case's token with the
// vectors' pinned clock (its claims, or its §6 refusal code), sends the request exactly as given,
// and compares the status, the headers that matter and the body with the expected answer; then it
// reads the answer as a vendor does and compares that reading (data, or fault, code and the
// portal's code) with the case.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { LaunchTokenError, keySet, verifyLaunchToken } from './verify_vectors.mjs';

const MAX_BODY_LEN = 64 * 1024;
const DISCOVERY_PATH = '/.well-known/cv-plugin';
const MAX_TOKEN_LEN = 4096;
const ROLES = ['cliente', 'sindico', 'gestor'];
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Why there is no data. `code` is this recipe's code (the same as cv-portal-plugin's), `fault`
 *  what it means for the vendor (no_data, token, access, unavailable, protocol), and
 *  `serverCode` the portal's own code, when it sent one. */
export class ClientDataError extends Error {
  constructor(code, fault = 'protocol', serverCode = null, detail = '') {
    super(`${code} (${fault}, portal: ${serverCode})${detail ? `: ${detail}` : ''}`);
    Object.assign(this, { code, fault, serverCode });
  }
}

/** A UTF-8 JSON object without repeated member names at any depth. */
function jsonObject(bytes, onError) {
  let text;
  let value;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new ClientDataError(onError, 'protocol', null, error.message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientDataError(onError, 'protocol', null, 'not a JSON object');
  }
  // JSON.parse keeps the last of two equal names: a reviver sees each object once, parsed, so
  // the names are counted on the text instead, per object, with a small scanner.
  if (hasRepeatedMember(text)) throw new ClientDataError(onError, 'protocol', null, 'a repeated member');
  return value;
}

/** Whether any object in `text` (JSON that JSON.parse accepted) repeats a member name. */
function hasRepeatedMember(text) {
  const stack = []; // per open container: a Set of names for an object, null for an array
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const names = stack[stack.length - 1];
      if (expectName && names) {
        const name = JSON.parse(text.slice(i, end + 1));
        if (names.has(name)) return true;
        names.add(name);
      }
      expectName = false;
      i = end;
    } else if (c === '{') {
      stack.push(new Set());
      expectName = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectName = stack[stack.length - 1] instanceof Set;
    }
  }
  return false;
}

/** https, or http for a loopback host; printable ASCII; no userinfo or fragment. */
function checkUrl(url, role) {
  if (typeof url !== 'string' || !/^[\x21-\x7e]{1,2048}$/.test(url)) throw new ClientDataError('data_url_invalid', 'protocol', null, role);
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientDataError('data_url_invalid', 'protocol', null, role);
  }
  if (!['https:', 'http:'].includes(parsed.protocol) || !parsed.hostname) throw new ClientDataError('data_url_invalid', 'protocol', null, role);
  if (parsed.username || parsed.password || url.includes('#')) throw new ClientDataError('data_url_invalid', 'protocol', null, `${role}: userinfo or fragment`);
  if (parsed.protocol === 'http:' && !LOOPBACK.test(parsed.hostname)) throw new ClientDataError('data_url_not_https', 'protocol', null, role);
  return parsed;
}

/** The issuer with one trailing `/` removed, then /.well-known/cv-plugin (§11). */
export function discoveryUrl(issuer) {
  if (checkUrl(issuer, 'issuer').search) throw new ClientDataError('data_url_invalid', 'protocol', null, 'an issuer with a query');
  return (issuer.endsWith('/') ? issuer.slice(0, -1) : issuer) + DISCOVERY_PATH;
}

/** The discovery document of `issuer` (the one you were configured with), checked as §11's
 *  "Discovery, the vendor's checks" says, in order. Throws ClientDataError. */
export async function fetchDiscovery(issuer, get) {
  const { status, body } = await get(discoveryUrl(issuer), { Accept: 'application/json' });
  if (status !== 200) throw new ClientDataError('discovery_http_status', 'protocol', null, String(status));
  if (body.length > MAX_BODY_LEN) throw new ClientDataError('discovery_too_large');
  const document = jsonObject(body, 'discovery_invalid');
  const version = document.protocol_version;
  if (!Number.isInteger(version)) throw new ClientDataError('discovery_invalid', 'protocol', null, 'protocol_version');
  if (version !== 1) throw new ClientDataError('discovery_unsupported_version', 'protocol', null, String(version));
  if (document.issuer !== issuer) throw new ClientDataError('discovery_issuer_mismatch');
  const algs = document.token_signing_alg_values_supported;
  const shapeOk = typeof document.jwks_uri === 'string' && typeof document.client_data_endpoint === 'string'
    && Array.isArray(algs) && algs.every((a) => typeof a === 'string');
  if (!shapeOk) throw new ClientDataError('discovery_invalid', 'protocol', null, 'a member is missing or of the wrong type');
  for (const role of ['jwks_uri', 'client_data_endpoint']) {
    checkUrl(document[role], role);
    if (/^https:\/\//i.test(issuer) && !/^https:\/\//i.test(document[role])) {
      throw new ClientDataError('data_url_not_https', 'protocol', null, `${role} of an https portal`);
    }
  }
  return document;
}

/** The request that redeems `token`, whose verified claims are `claims`, at the portal of
 *  `discovery`: {url, headers}. Only to the portal that issued it, only a b64token (§11). */
export function clientDataRequest(discovery, claims, token) {
  if (claims.iss !== discovery.issuer) throw new ClientDataError('discovery_issuer_mismatch', 'protocol', null, "the token is another portal's");
  if (token.length > MAX_TOKEN_LEN || !B64TOKEN.test(token)) throw new ClientDataError('bearer_token_invalid');
  return { url: discovery.client_data_endpoint, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } };
}

/** The auth-params of a `Bearer` challenge (`error`, `error_description`, ...), or {}. */
function challengeParams(header) {
  const match = /^\s*Bearer\s+(.*)$/is.exec(header ?? '');
  const params = {};
  if (!match) return params;
  for (const m of match[1].matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    params[m[1].toLowerCase()] ??= m[2] ?? m[3];
  }
  return params;
}

/** The body's `error` member, or undefined (a body over 64 KiB is not parsed). */
function bodyError(body) {
  if (body.length > MAX_BODY_LEN) return undefined;
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    return value && typeof value === 'object' && !Array.isArray(value) ? value.error : undefined;
  } catch {
    return undefined;
  }
}

/** The body's `error`, else the challenge's `error_description`, else its `error`: the first
 *  that is a snake_case code of at most 64 bytes. */
function serverCode(body, wwwAuthenticate) {
  const params = challengeParams(wwwAuthenticate);
  const candidates = [bodyError(body), params.error_description, params.error];
  return candidates.find((c) => typeof c === 'string' && CODE.test(c)) ?? null;
}

/** {"type": "cpf" | "cnpj", "number": ...} in normal form, check digits valid (§11). */
function validTaxDocument(document) {
  if (!document || typeof document !== 'object' || Object.keys(document).some((k) => !['type', 'number'].includes(k))) return false;
  const { type, number } = document;
  if (typeof number !== 'string' || new Set(number).size < 2) return false;
  if (type === 'cpf' && /^\d{11}$/.test(number)) {
    const d = [...number].map(Number);
    const check = (n) => ((d.slice(0, n).reduce((sum, x, i) => sum + x * (n + 1 - i), 0) * 10) % 11) % 10;
    return check(9) === d[9] && check(10) === d[10];
  }
  if (type === 'cnpj' && /^[0-9A-Z]{12}\d{2}$/.test(number)) {
    const v = [...number].map((c) => c.charCodeAt(0) - 48);
    const check = (n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += v[n - 1 - i] * (2 + (i % 8));
      return sum % 11 < 2 ? 0 : 11 - (sum % 11);
    };
    return check(12) === v[12] && check(13) === v[13];
  }
  return false;
}

function validUnits(units) {
  return Array.isArray(units) && units.every((u) => u && typeof u === 'object' && !Array.isArray(u)
    && typeof u.empreendimento === 'string' && typeof u.unidade === 'string'
    && ['bloco', 'contract_id'].every((k) => !(k in u) || typeof u[k] === 'string'));
}

/** The portal's answer as §11's "vendor's view" table reads it: the data, or throws
 *  ClientDataError. With the verified `claims`, the data must be that launch's. */
export function readClientData(status, wwwAuthenticate, body, claims = null) {
  if (![200, 400, 401, 403, 404, 503].includes(status)) throw new ClientDataError('data_unexpected_status', 'protocol', null, String(status));
  if (status === 200) {
    if (body.length > MAX_BODY_LEN) throw new ClientDataError('data_answer_too_large');
    const data = jsonObject(body, 'data_answer_invalid');
    const typesOk = typeof data.sub === 'string' && typeof data.plugin === 'string' && ROLES.includes(data.role)
      && ['name', 'email', 'phone'].every((k) => !(k in data) || typeof data[k] === 'string')
      && (!('document' in data) || validTaxDocument(data.document))
      && (!('units' in data) || validUnits(data.units));
    if (!typesOk) throw new ClientDataError('data_answer_invalid');
    if (claims) {
      for (const [member, claim] of [['sub', 'sub'], ['role', 'role'], ['plugin', 'aud']]) {
        if (data[member] !== claims[claim]) throw new ClientDataError('data_not_for_this_launch', 'protocol', null, member);
      }
    }
    return data;
  }
  if (status === 404) {
    // "No data" only when the body says so: a wrong URL's 404 must not pass for it.
    if (bodyError(body) === 'client_not_found') throw new ClientDataError('data_client_not_found', 'no_data', 'client_not_found');
    throw new ClientDataError('data_endpoint_not_found');
  }
  const code = serverCode(body, wwwAuthenticate);
  if (status === 401) throw new ClientDataError('data_token_refused', code === 'missing_token' ? 'protocol' : 'token', code);
  if (status === 403) throw new ClientDataError('data_access_denied', 'access', code);
  if (status === 400) throw new ClientDataError('data_request_refused', 'protocol', code);
  throw new ClientDataError('data_portal_unavailable', 'unavailable', code); // 503: retry once
}

// ---- The conformance run (a test harness, not part of the recipe) ---------------------------

/** At most `limit` bytes of a response body. */
async function readBounded(response, limit) {
  const chunks = [];
  let length = 0;
  for await (const chunk of response.body ?? []) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/** A `get` that sends the fixture's https://portal.test URLs to the loopback `portal`. */
function loopbackGet(issuer, portal, timeoutMs = 10000) {
  const { origin } = new URL(issuer);
  return async (url, headers) => {
    if (!url.startsWith(`${origin}/`)) throw new Error(`${url} is not under the fixture's origin ${origin}`);
    const response = await fetch(portal + url.slice(origin.length), {
      headers,
      redirect: 'manual', // a redirect would carry the token elsewhere
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, headers: response.headers, body: await readBounded(response, MAX_BODY_LEN + 1) };
  };
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--portal');
  const portal = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (args.length !== 1 || !portal) {
    console.error('usage: node client_data.mjs VECTORS.json --portal http://127.0.0.1:PORT');
    return 2;
  }
  const vectors = JSON.parse(readFileSync(args[0], 'utf8'));
  const joseVersion = createRequire(import.meta.url)('jose/package.json').version;
  const { issuer } = vectors;
  const now = new Date(vectors.now * 1000);
  const get = loopbackGet(issuer, portal.replace(/\/$/, ''));
  let passed = 0;
  const failures = [];
  const check = (ok, message) => (ok ? passed++ : failures.push(message));
  // Equal as JSON values, whatever the order of the members.
  const byName = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byName)) : v);
  const same = (a, b) => JSON.stringify(a, sorted) === JSON.stringify(b, sorted);

  // §10: discovery for the configured issuer, then the keys it names.
  let discovery;
  try {
    discovery = await fetchDiscovery(issuer, get);
  } catch (error) {
    console.log(`FAIL discovery: ${error.message} ${error.cause ?? ''} (is the portal at ${portal} running?)`);
    return 1;
  }
  check(same(discovery, vectors.discovery), `discovery differs: ${JSON.stringify(discovery)}`);
  try {
    await fetchDiscovery(`${issuer}/`, get);
    check(false, 'discovery for the issuer with a trailing slash accepted');
  } catch (error) {
    check(error.code === 'discovery_issuer_mismatch', `trailing-slash issuer: ${error.message}`);
  }
  const jwksAnswer = await get(discovery.jwks_uri, { Accept: 'application/json' });
  const jwks = jwksAnswer.status === 200 ? JSON.parse(jwksAnswer.body.toString('utf8')) : null;
  check(same(jwks, vectors.jwks), `JWKS: status ${jwksAnswer.status}, ${JSON.stringify(jwks)}`);
  const keys = await keySet(jwks ?? vectors.jwks);

  for (const c of vectors.cases) {
    const { name, expected } = c;
    const { authorization } = c.request;
    let claims = null;
    if (c.verify) {
      try {
        claims = await verifyLaunchToken(c.verify.token, keys, { issuer, plugin: c.verify.plugin, leeway: vectors.leeway, now });
        check(same(claims, c.verify.claims), `${name}: verified, expected ${c.verify.error}`);
      } catch (error) {
        if (!(error instanceof LaunchTokenError)) throw error;
        check(error.code === c.verify.error, `${name}: token refused as ${error.code}, expected ${c.verify.error ?? 'its claims'}`);
      }
    }
    let headers = { Accept: 'application/json' };
    if (claims && authorization === `Bearer ${c.verify.token}`) {
      // The recipe builds the very request the case sends.
      const request = clientDataRequest(discovery, claims, c.verify.token);
      check(request.url === discovery.client_data_endpoint, `${name}: request URL ${request.url}`);
      ({ headers } = request);
    } else if (authorization !== undefined) {
      headers.Authorization = authorization;
    }
    let answer;
    try {
      answer = await get(discovery.client_data_endpoint, headers);
    } catch (error) {
      check(false, `${name}: no answer: ${error.message} ${error.cause ?? ''}`);
      continue;
    }
    const { status, body } = answer;

    check(status === expected.status, `${name}: status ${status}, expected ${expected.status}`);
    for (const [header, value] of Object.entries(expected.headers)) {
      const got = answer.headers.get(header);
      check(got === value, `${name}: ${header}: ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
    for (const header of ['WWW-Authenticate', 'Retry-After']) {
      if (!(header in expected.headers)) check(answer.headers.get(header) === null, `${name}: unexpected ${header}`);
    }
    let parsed = null;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // compared below as null
    }
    if ('body' in expected) {
      check(same(parsed, expected.body), `${name}: body ${JSON.stringify(parsed)}, expected ${JSON.stringify(expected.body)}`);
    } else {
      const ok = parsed !== null && typeof parsed === 'object'
        && same(Object.keys(parsed).sort(), ['error', 'error_description'])
        && parsed.error === expected.error
        && typeof parsed.error_description === 'string'
        && Buffer.byteLength(parsed.error_description) <= 256
        && !(c.verify && parsed.error_description.includes(c.verify.token));
      check(ok, `${name}: error body ${body.toString('utf8').slice(0, 300)}, expected error ${expected.error}`);
    }

    try {
      const data = readClientData(status, answer.headers.get('WWW-Authenticate'), body, claims);
      check(c.vendor.outcome === 'data' && same(data, expected.body), `${name}: read data ${JSON.stringify(data)}`);
    } catch (error) {
      if (!(error instanceof ClientDataError)) throw error;
      const reading = { outcome: error.fault, error: error.code, server_code: error.serverCode };
      check(same(reading, c.vendor), `${name}: read as ${JSON.stringify(reading)}, expected ${JSON.stringify(c.vendor)}`);
    }
  }

  for (const message of failures) console.log(`FAIL ${message}`);
  console.log(`client data, JavaScript (jose ${joseVersion}, fetch): ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

// Only when run, not when imported.
if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
