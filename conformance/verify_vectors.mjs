// CV plugin launch tokens in Node with `jose`: the vendor's recipe, proved on the vectors.
//
//     cd conformance && npm ci && node verify_vectors.mjs ../vectors/launch-tokens.json [--mint minted.json]
//         [--crate-minted crate.json] [--library-alone jose-alone.json]
//
// (Run it from this folder: a script elsewhere cannot `import 'jose'` from conformance/node_modules.)
//
// If you are an ERP vendor, read `verifyLaunchToken` below: it is the whole of PROTOCOL.md §6.
// jose checks the signature, `iss`, `aud`, the required claims and the times; the few lines
// around that call are the protocol's own rules that generic JWT libraries do not make (exact
// header, canonical base64url, integer times, formats, lifetime). Single use (§6 check 21, §8) is
// yours to add: remember each accepted `jti` until `exp + leeway` in a store shared by your
// instances, and refuse it the second time.
//
// The script then checks the conformance vectors: every valid vector verifies with the expected
// claims, every invalid one is refused with its error code, and the ones marked
// `"standard": true` are refused by jose alone. With `--mint` it also mints tokens the way the
// portal does (both algorithms, the vectors' TEST keys) for the Rust crate to verify; with
// `--crate-minted` it verifies tokens the crate minted; with `--library-alone` it writes what jose
// alone did with each invalid vector (conformance/standard_flags.py reads it).

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as jose from 'jose';

const TYP = 'cv-plugin-launch+jwt';
const CLAIMS = ['iss', 'aud', 'sub', 'role', 'iat', 'nbf', 'exp', 'jti'];
const TIMES = ['iat', 'nbf', 'exp'];
const ROLES = ['cliente', 'sindico', 'gestor'];
const SUB = /^[A-Za-z0-9._:-]{1,128}$/;
const JTI = /^[A-Za-z0-9_-]{16,128}$/;
const MAX_TIME = 253402300799; // 9999-12-31T23:59:59Z
const MAX_LIFETIME = 3600;

/** A refused token. `code` is the PROTOCOL.md §6 code: log it (never the token itself). */
export class LaunchTokenError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
  }
}

/** Canonical unpadded base64url only (§2), so each byte string has exactly one spelling. */
function b64urlDecode(segment) {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw new LaunchTokenError('non_canonical_base64', 'padding, +, / or whitespace');
  }
  const bytes = Buffer.from(segment, 'base64url'); // lenient, hence the round trip below
  if (bytes.toString('base64url') !== segment) {
    throw new LaunchTokenError('non_canonical_base64', 'bad length or non-zero trailing bits');
  }
  return bytes;
}

/** The top-level members of a JSON object's text, as [name, value text] pairs, repeats
 *  included, read on text JSON.parse already accepted. JSON.parse keeps the last of two equal
 *  names silently, and reads 1.0, 1e3 and -0 as integers: the names and the numbers' spelling
 *  are checked on these pairs. */
function topLevelMembers(text) {
  const members = [];
  let depth = 0;
  let name; // the member whose value is being read, once past its colon
  let pending; // the last name read, before its colon
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (depth === 1 && name === undefined) pending = JSON.parse(text.slice(i, end + 1));
      i = end;
    } else if (c === ':' && depth === 1 && name === undefined) {
      [name, start] = [pending, i + 1];
    } else if (c === '{' || c === '[') {
      depth++;
    } else if ((c === ',' && depth === 1) || ((c === '}' || c === ']') && depth-- === 1)) {
      if (name !== undefined) members.push([name, text.slice(start, i).trim()]);
      name = undefined;
    }
  }
  return members;
}

/** A JSON object without repeated member names (§2), and its members' text. */
function jsonObject(bytes, part) {
  let text;
  let value;
  try {
    // fatal: bytes that are not UTF-8 are an error, not U+FFFD; ignoreBOM: a byte-order mark
    // stays in the text, where JSON.parse refuses it, instead of being dropped.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new LaunchTokenError('malformed', `the ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LaunchTokenError('malformed', `the ${part} is not a JSON object`);
  }
  const members = topLevelMembers(text);
  if (new Set(members.map(([name]) => name)).size !== members.length) {
    throw new LaunchTokenError('duplicate_member', part);
  }
  return { value, text: Object.fromEntries(members) };
}

/** The portal's JWKS as Map(kid => {alg, key}); each key's algorithm is pinned by its type (§7). */
export async function keySet(jwks) {
  const keys = new Map();
  for (const jwk of jwks.keys) {
    const alg = { OKP: 'EdDSA', EC: 'ES256' }[jwk.kty];
    keys.set(jwk.kid, { alg, key: await jose.importJWK(jwk, alg) });
  }
  return keys;
}

/** jose's errors, as PROTOCOL.md §6 codes. */
function codeOf(error) {
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof jose.errors.JWTExpired) return 'expired';
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.reason === 'invalid') return 'invalid_claim';
    return { iss: 'wrong_issuer', aud: 'wrong_audience', nbf: 'not_yet_valid', iat: 'issued_in_future' }[error.claim] ?? 'invalid_claim';
  }
  return 'malformed';
}

const PROTOCOL_ALGS = ['EdDSA', 'ES256'];

/** Every check of PROTOCOL.md §6 but single use; resolves to the claims or throws
 *  LaunchTokenError. `keys` comes from `keySet`; `now` is a Date (tests pin it). `algorithms` is
 *  your plugin's algorithm as the portal told you (onboarding checklist): ['EdDSA'], the
 *  default, or ['ES256']; a token of the other one is refused at check 5 (`unsupported_alg`) even
 *  when you hold its key. */
export async function verifyLaunchToken(token, keys, { issuer, plugin, leeway = 30, maxLen = 4096, now = new Date(), algorithms = PROTOCOL_ALGS }) {
  // 1-3. Size (in bytes) before anything else, three segments, canonical base64url.
  if (Buffer.byteLength(token) > maxLen) throw new LaunchTokenError('token_too_large');
  const segments = token.split('.');
  if (segments.length !== 3) throw new LaunchTokenError('malformed', 'not three segments');
  const [headerBytes, claimsBytes] = segments.map(b64urlDecode);

  // 4-9. The header is exactly {alg, typ, kid}; the kid picks the key; the key fixes the alg.
  const header = jsonObject(headerBytes, 'header').value;
  const { alg } = header;
  if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new LaunchTokenError('alg_none');
  if (!PROTOCOL_ALGS.includes(alg)) throw new LaunchTokenError('unsupported_alg');
  if (!algorithms.includes(alg)) throw new LaunchTokenError('unsupported_alg', `${alg} is not this plugin's algorithm`);
  const extra = Object.keys(header).filter((name) => !['alg', 'typ', 'kid'].includes(name));
  if (extra.length > 0) throw new LaunchTokenError('forbidden_header', extra.join(', '));
  if (!('typ' in header)) throw new LaunchTokenError('missing_typ');
  if (header.typ !== TYP) throw new LaunchTokenError('wrong_typ'); // exact: jose's `typ` option is lenient
  if (!('kid' in header)) throw new LaunchTokenError('missing_kid');
  const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
  if (key === undefined) throw new LaunchTokenError('unknown_kid');
  if (key.alg !== alg) throw new LaunchTokenError('alg_mismatch');

  // 10, 12, 14, 15, 19, 20. The library: signature, required claims, issuer, audience, times.
  try {
    await jose.jwtVerify(token, key.key, {
      algorithms: [key.alg], // the key's algorithm, never the header's
      issuer,
      audience: plugin,
      requiredClaims: CLAIMS,
      clockTolerance: leeway,
      currentDate: now,
    });
  } catch (error) {
    if (error instanceof jose.errors.JWSSignatureVerificationFailed) throw new LaunchTokenError('bad_signature');
    // The signature is good (jose checks it first). §6 puts our checks 11-18 before the time
    // checks, so when jose refuses the claims, ours answer first.
    checkClaims(claimsBytes, { issuer, plugin, leeway, now });
    throw new LaunchTokenError(codeOf(error), error.message);
  }
  return checkClaims(claimsBytes, { issuer, plugin, leeway, now });
}

/** Checks 11-18 on a verified claims segment: what jose lets through (repeated members, a time
 *  written 1.0, 1e9 or -0, role, an `aud` array, the formats of sub and jti, the lifetime, an
 *  iat in the future). Unknown claims are ignored. Returns the claims. */
function checkClaims(claimsBytes, { issuer, plugin, leeway, now }) {
  const { value: claims, text } = jsonObject(claimsBytes, 'claims');
  for (const name of CLAIMS) {
    if (!(name in claims)) throw new LaunchTokenError('missing_claim', name);
  }
  for (const name of CLAIMS) {
    if (TIMES.includes(name)) {
      // A plain integer as written: JSON.parse cannot tell 1764288240.0 from 1764288240.
      if (!/^(0|[1-9][0-9]*)$/.test(text[name]) || claims[name] > MAX_TIME) throw new LaunchTokenError('invalid_claim', name);
    } else if (typeof claims[name] !== 'string') {
      throw new LaunchTokenError('invalid_claim', name);
    }
  }
  if (!ROLES.includes(claims.role)) throw new LaunchTokenError('unknown_role');
  if (claims.iss !== issuer) throw new LaunchTokenError('wrong_issuer');
  if (claims.aud !== plugin) throw new LaunchTokenError('wrong_audience');
  if (!SUB.test(claims.sub)) throw new LaunchTokenError('invalid_claim', 'sub');
  if (!JTI.test(claims.jti)) throw new LaunchTokenError('invalid_claim', 'jti');
  if (claims.exp <= claims.iat) throw new LaunchTokenError('invalid_claim', 'exp');
  if (claims.exp - claims.iat > MAX_LIFETIME) throw new LaunchTokenError('lifetime_too_long');
  if (claims.iat > Math.floor(now.getTime() / 1000) + leeway) throw new LaunchTokenError('issued_in_future');
  return claims;
}

/** A launch token as the portal mints it (§2-4): header {alg, typ, kid}, eight claims. */
export async function mint(privateJwk, { issuer, plugin, sub, role, now, lifetime = 300 }) {
  const alg = { OKP: 'EdDSA', EC: 'ES256' }[privateJwk.kty];
  const key = await jose.importJWK(privateJwk, alg);
  const kid = await jose.calculateJwkThumbprint(privateJwk, 'sha256'); // RFC 7638 (§7)
  const claims = {
    iss: issuer,
    aud: plugin,
    sub,
    role,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    jti: randomBytes(16).toString('base64url'), // 128 random bits, 22 characters
  };
  const token = await new jose.SignJWT(claims).setProtectedHeader({ alg, typ: TYP, kid }).sign(key);
  return { alg, token, claims };
}

// ---- The conformance run (a test harness, not part of the recipe) ---------------------------

/** jose alone, configured as §6 says standard libraries can be: the key its `kid` names in the
 *  key set (jose's own lookup), an explicit algorithm list, all eight claims required, issuer,
 *  audience, leeway, a maximum age. Throws on refusal. */
async function libraryOnly(token, jwks, { issuer, plugin, leeway, now }) {
  return jose.jwtVerify(token, jose.createLocalJWKSet(jwks), {
    algorithms: ['EdDSA', 'ES256'],
    issuer,
    audience: plugin,
    requiredClaims: CLAIMS,
    clockTolerance: leeway,
    maxTokenAge: MAX_LIFETIME, // makes jose refuse an iat in the future
    currentDate: now,
  });
}

async function main() {
  const args = process.argv.slice(2);
  const options = {};
  for (const flag of ['--mint', '--crate-minted', '--library-alone']) {
    const index = args.indexOf(flag);
    if (index >= 0) [, options[flag]] = args.splice(index, 2);
  }
  if (args.length !== 1 || Object.values(options).includes(undefined)) {
    console.error('usage: node verify_vectors.mjs VECTORS.json [--mint OUT.json] [--crate-minted FILE.json] [--library-alone OUT.json]');
    return 2;
  }
  const vectors = JSON.parse(readFileSync(args[0], 'utf8'));
  const keys = await keySet(vectors.jwks);
  const now = new Date(vectors.now * 1000);
  const config = { issuer: vectors.issuer, plugin: vectors.plugin, leeway: vectors.leeway, now };
  const joseVersion = createRequire(import.meta.url)('jose/package.json').version;
  let passed = 0;
  const failures = [];
  const check = (ok, message) => (ok ? passed++ : failures.push(message));
  // Equal as JSON values, whatever the order of the members.
  const byName = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byName)) : v);
  const sameClaims = (a, b) => JSON.stringify(a, sorted) === JSON.stringify(b, sorted);

  for (const v of vectors.valid) {
    try {
      const claims = await verifyLaunchToken(v.token, keys, { ...config, maxLen: vectors.max_token_len });
      check(sameClaims(claims, v.claims), `${v.name}: claims differ: ${JSON.stringify(claims)}`);
    } catch (error) {
      check(false, `${v.name}: valid vector refused: ${error.message}`);
    }
    try {
      await libraryOnly(v.token, vectors.jwks, config);
      check(true, '');
    } catch (error) {
      check(false, `${v.name}: valid vector refused by jose alone: ${error.message}`);
    }
  }

  // Every invalid vector is refused with its code; jose alone refuses the "standard" ones.
  const alone = {};
  for (const v of vectors.invalid) {
    try {
      await verifyLaunchToken(v.token, keys, { ...config, maxLen: vectors.max_token_len });
      check(false, `${v.name}: invalid vector accepted (expected ${v.error})`);
    } catch (error) {
      check(error.code === v.error, `${v.name}: refused as ${error.code ?? error.message}, expected ${v.error}`);
    }
    try {
      await libraryOnly(v.token, vectors.jwks, config);
      alone[v.name] = null;
    } catch (error) {
      alone[v.name] = `${error.code ?? error.name}: ${error.message}`;
    }
    if (v.standard) check(alone[v.name] !== null, `${v.name}: marked standard, but jose alone accepts it`);
  }

  // The per-plugin algorithm (PROTOCOL.md §3): the vendor of an ES256 plugin, holding the P-256
  // key alone. Pinned to the plugin's algorithm, the other algorithm's token fails at check 5
  // (`error_when_alg_pinned`); accepting both algorithms, it fails where `error` says.
  const section = vectors.per_plugin_algorithm;
  const sectionKeys = await keySet(section.jwks);
  const sectionConfig = { ...config, plugin: section.plugin, maxLen: vectors.max_token_len };
  const modes = [
    ['pinned', { ...sectionConfig, algorithms: [section.algorithm] }],
    ['both algorithms', sectionConfig],
  ];
  for (const v of section.valid) {
    for (const [label, options] of modes) {
      try {
        const claims = await verifyLaunchToken(v.token, sectionKeys, options);
        check(sameClaims(claims, v.claims), `${section.plugin} ${v.name} (${label}): claims differ: ${JSON.stringify(claims)}`);
      } catch (error) {
        check(false, `${section.plugin} ${v.name} (${label}): valid vector refused: ${error.message}`);
      }
    }
    try {
      await libraryOnly(v.token, section.jwks, sectionConfig);
      check(true, '');
    } catch (error) {
      check(false, `${section.plugin} ${v.name}: valid vector refused by jose alone: ${error.message}`);
    }
  }
  for (const v of section.invalid) {
    const expected = { pinned: v.error_when_alg_pinned ?? v.error, 'both algorithms': v.error };
    for (const [label, options] of modes) {
      try {
        await verifyLaunchToken(v.token, sectionKeys, options);
        check(false, `${section.plugin} ${v.name} (${label}): accepted (expected ${expected[label]})`);
      } catch (error) {
        check(error.code === expected[label], `${section.plugin} ${v.name} (${label}): refused as ${error.code ?? error.message}, expected ${expected[label]}`);
      }
    }
    check(!(v.name in alone), `${v.name}: a per-plugin vector's name is already a vector's`);
    try {
      await libraryOnly(v.token, section.jwks, sectionConfig);
      alone[v.name] = null;
    } catch (error) {
      alone[v.name] = `${error.code ?? error.name}: ${error.message}`;
    }
    if (v.standard) check(alone[v.name] !== null, `${v.name}: marked standard, but jose alone accepts it`);
  }

  if (options['--library-alone']) {
    writeFileSync(options['--library-alone'], JSON.stringify({ library: `jose ${joseVersion}`, refused: alone }, null, 2));
  }

  // The other direction: tokens the crate minted (Issuer::mint) verify here, with their claims.
  if (options['--crate-minted']) {
    const minted = JSON.parse(readFileSync(options['--crate-minted'], 'utf8'));
    const algs = new Set();
    for (const entry of minted.tokens) {
      algs.add(entry.alg);
      try {
        const claims = await verifyLaunchToken(entry.token, keys, config);
        check(sameClaims(claims, entry.claims), `crate-minted ${entry.alg}: claims differ: ${JSON.stringify(claims)}`);
      } catch (error) {
        check(false, `crate-minted ${entry.alg} token refused: ${error.message}`);
      }
      try {
        await libraryOnly(entry.token, vectors.jwks, config);
        check(true, '');
      } catch (error) {
        check(false, `crate-minted ${entry.alg} token refused by jose alone: ${error.message}`);
      }
    }
    check(algs.size === 2 && algs.has('EdDSA') && algs.has('ES256'), `crate-minted tokens cover ${[...algs]}, not both algorithms`);
  }

  if (options['--mint']) {
    const tokens = [];
    const roles = { EdDSA: ['cliente', 'gestor'], ES256: ['sindico', 'cliente'] };
    for (const privateJwk of vectors.test_private_keys) {
      const alg = { OKP: 'EdDSA', EC: 'ES256' }[privateJwk.kty];
      for (const [n, role] of roles[alg].entries()) {
        const minted = await mint(privateJwk, { ...config, sub: `jose:${alg}:${n}`, role, now: vectors.now });
        // Our own recipe accepts what we mint, and the crate must too (tests/vectors.rs).
        try {
          await verifyLaunchToken(minted.token, keys, config);
          check(true, '');
        } catch (error) {
          check(false, `minted ${alg} token refused by this recipe: ${error.message}`);
        }
        tokens.push(minted);
      }
    }
    writeFileSync(options['--mint'], JSON.stringify({ minted_by: `jose ${joseVersion}`, tokens }, null, 2));
  }

  for (const message of failures) console.log(`FAIL ${message}`);
  console.log(`jose ${joseVersion}: ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

// Only when run, not when imported (client_data.mjs imports the recipe).
if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
