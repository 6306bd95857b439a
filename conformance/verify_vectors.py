#!/usr/bin/env python3
"""CV plugin launch tokens in Python with PyJWT: the vendor's recipe, proved on the vectors.

    python3 verify_vectors.py ../vectors/launch-tokens.json [--mint minted.json]
        [--crate-minted crate.json] [--library-alone pyjwt-alone.json]

If you are an ERP vendor, read `verify_launch_token` below: it is the whole of PROTOCOL.md §6.
PyJWT checks the signature, `iss`, `aud`, the required claims and the times; the few lines around
that call are the protocol's own rules that generic JWT libraries do not make (exact header,
canonical base64url, integer times, formats, lifetime). The same shape works with any JWT
library (PHP firebase/php-jwt, .NET System.IdentityModel, ...). Single use (§6 check 21, §8) is
yours to add: remember each accepted `jti` until `exp + leeway` in a store shared by your
instances, and refuse it the second time.

The script then checks the conformance vectors: every valid vector verifies with the expected
claims, every invalid one is refused with its error code, and the ones marked `"standard": true`
are refused by PyJWT alone. With `--mint` it also mints tokens the way the portal does (both
algorithms, the vectors' TEST keys) for the Rust crate to verify (tests/vectors.rs); with
`--crate-minted` it verifies tokens the crate minted; with `--library-alone` it writes what PyJWT
alone did with each invalid vector (conformance/standard_flags.py reads it).
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import re
import secrets
import sys

import jwt  # PyJWT >= 2.10, with `cryptography` for EdDSA and ES256

TYP = "cv-plugin-launch+jwt"
CLAIMS = ("iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti")
TIMES = ("iat", "nbf", "exp")
ROLES = ("cliente", "sindico", "gestor")
SUB = re.compile(r"[A-Za-z0-9._:-]{1,128}")
JTI = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z
MAX_LIFETIME = 3600


class LaunchTokenError(Exception):
    """A refused token. `code` is the PROTOCOL.md §6 code: log it (never the token itself)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def b64url_decode(segment):
    """Canonical unpadded base64url only (§2), so each byte string has exactly one spelling."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        raise LaunchTokenError("non_canonical_base64", "padding, +, / or whitespace")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error:
        raise LaunchTokenError("non_canonical_base64", "bad length") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != segment:
        raise LaunchTokenError("non_canonical_base64", "non-zero trailing bits")
    return data


def json_object(data, part):
    """A JSON object without repeated member names (§2). Python's json keeps the last of two
    equal names silently, so the pairs are checked here (at every depth: stricter than needed)."""

    def no_repeats(pairs):
        names = [name for name, _ in pairs]
        if len(names) != len(set(names)):
            raise LaunchTokenError("duplicate_member", part)
        return dict(pairs)

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    def plain_int(text):
        # Python reads -0 as the integer 0; as a float, the integer checks below refuse it (§4).
        return -0.0 if text == "-0" else int(text)

    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=no_repeats,
            parse_constant=no_constants,
            parse_int=plain_int,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise LaunchTokenError("malformed", f"the {part} is not JSON") from None
    if not isinstance(value, dict):
        raise LaunchTokenError("malformed", f"the {part} is not a JSON object")
    return value


def key_set(jwks):
    """The portal's JWKS as {kid: PyJWK}; each key's algorithm is pinned by its type (§7)."""
    return {jwk["kid"]: jwt.PyJWK(jwk) for jwk in jwks["keys"]}


PROTOCOL_ALGS = ("EdDSA", "ES256")


def verify_launch_token(token, keys, *, issuer, plugin, leeway=30, max_len=4096, algorithms=PROTOCOL_ALGS):
    """Every check of PROTOCOL.md §6 but single use; returns the claims or raises
    LaunchTokenError. `keys` comes from `key_set`. `algorithms` is your plugin's algorithm as
    the portal told you (onboarding checklist): ("EdDSA",), the default, or ("ES256",); a token
    of the other one is refused at check 5 (`unsupported_alg`) even when you hold its key."""
    # 1-3. Size (in bytes) before anything else, three segments, canonical base64url.
    if len(token.encode()) > max_len:
        raise LaunchTokenError("token_too_large")
    segments = token.split(".")
    if len(segments) != 3:
        raise LaunchTokenError("malformed", "not three segments")
    header_bytes, claims_bytes, _ = (b64url_decode(s) for s in segments)

    # 4-9. The header is exactly {alg, typ, kid}; the kid picks the key; the key fixes the alg.
    header = json_object(header_bytes, "header")
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        raise LaunchTokenError("alg_none")
    if alg not in PROTOCOL_ALGS:
        raise LaunchTokenError("unsupported_alg")
    if alg not in algorithms:
        raise LaunchTokenError("unsupported_alg", f"{alg} is not this plugin's algorithm")
    extra = set(header) - {"alg", "typ", "kid"}
    if extra:
        raise LaunchTokenError("forbidden_header", ", ".join(sorted(extra)))
    if "typ" not in header:
        raise LaunchTokenError("missing_typ")
    if header["typ"] != TYP:
        raise LaunchTokenError("wrong_typ")
    if "kid" not in header:
        raise LaunchTokenError("missing_kid")
    key = keys.get(header["kid"]) if isinstance(header["kid"], str) else None
    if key is None:
        raise LaunchTokenError("unknown_kid")
    if key.algorithm_name != alg:
        raise LaunchTokenError("alg_mismatch")

    # 10, 12, 14, 15, 18-20. The library: signature, required claims, issuer, audience, times.
    try:
        jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],  # the key's algorithm, never the header's
            issuer=issuer,
            audience=plugin,
            leeway=leeway,
            options={"require": list(CLAIMS), "strict_aud": True},
        )
    except jwt.InvalidSignatureError:
        raise LaunchTokenError("bad_signature") from None
    except jwt.PyJWTError as e:
        # The signature is good (PyJWT checks it first). §6 puts our checks 11-17 before the
        # time checks, so when PyJWT refuses the claims, ours answer first.
        check_claims(claims_bytes, issuer=issuer, plugin=plugin)
        raise LaunchTokenError(library_code(e), str(e)) from None
    return check_claims(claims_bytes, issuer=issuer, plugin=plugin)


def library_code(error):
    """PyJWT's errors, as PROTOCOL.md §6 codes."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "issued_in_future" if "(iat)" in str(error) else "not_yet_valid"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong_issuer"
    if isinstance(error, jwt.InvalidAudienceError):
        return "wrong_audience"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return "missing_claim"
    return "invalid_claim"


def check_claims(claims_bytes, *, issuer, plugin):
    """Checks 11-17 on a verified claims segment: what PyJWT lets through (repeated members, a
    string, float or boolean time, which it reads with int(), role, the formats of sub and jti,
    the lifetime). Unknown claims are ignored. Returns the claims."""
    claims = json_object(claims_bytes, "claims")
    for name in CLAIMS:
        if name not in claims:
            raise LaunchTokenError("missing_claim", name)
    for name in CLAIMS:
        value = claims[name]
        if name in TIMES:
            if type(value) is not int or not 0 <= value <= MAX_TIME:  # bool is an int subclass
                raise LaunchTokenError("invalid_claim", name)
        elif not isinstance(value, str):
            raise LaunchTokenError("invalid_claim", name)
    if claims["role"] not in ROLES:
        raise LaunchTokenError("unknown_role")
    if claims["iss"] != issuer:
        raise LaunchTokenError("wrong_issuer")
    if claims["aud"] != plugin:
        raise LaunchTokenError("wrong_audience")
    if not SUB.fullmatch(claims["sub"]):
        raise LaunchTokenError("invalid_claim", "sub")
    if not JTI.fullmatch(claims["jti"]):
        raise LaunchTokenError("invalid_claim", "jti")
    if claims["exp"] <= claims["iat"]:
        raise LaunchTokenError("invalid_claim", "exp")
    if claims["exp"] - claims["iat"] > MAX_LIFETIME:
        raise LaunchTokenError("lifetime_too_long")
    return claims


def thumbprint(jwk):
    """RFC 7638 JWK thumbprint: the kid of every key of the protocol (§7)."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def mint(private_jwk, *, issuer, plugin, sub, role, now, lifetime=300):
    """A launch token as the portal mints it (§2-4): header {alg, typ, kid}, eight claims."""
    key = jwt.PyJWK(private_jwk)
    claims = {
        "iss": issuer,
        "aud": plugin,
        "sub": sub,
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(16),  # 128 random bits, 22 characters
    }
    headers = {"typ": TYP, "kid": thumbprint(private_jwk)}
    token = jwt.encode(claims, key, algorithm=key.algorithm_name, headers=headers)
    return token, claims


# ---- The conformance run (a test harness, not part of the recipe) ---------------------------


class PinnedClock(datetime.datetime):
    """PyJWT reads the wall clock; the vectors were made for one fixed instant."""

    pinned = 0.0

    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(cls.pinned, tz)


def library_only(token, jwks, *, issuer, plugin, leeway):
    """PyJWT alone, configured as §6 says standard libraries can be: the key its `kid` names in
    the key set (PyJWT's own lookup), that key's algorithm, all eight claims required, issuer,
    audience (a single string: `strict_aud`), leeway. Raises on refusal."""
    kid = jwt.get_unverified_header(token).get("kid")
    key = jwt.PyJWKSet.from_dict(jwks)[kid]  # KeyError: no such key
    return jwt.decode(
        token,
        key,
        algorithms=[key.algorithm_name],
        issuer=issuer,
        audience=plugin,
        leeway=leeway,
        options={"require": list(CLAIMS), "strict_aud": True},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors", help="vectors/launch-tokens.json")
    parser.add_argument("--mint", metavar="OUT", help="write freshly minted tokens to OUT")
    parser.add_argument(
        "--crate-minted",
        metavar="FILE",
        help="also verify the tokens cv-portal-plugin minted (tests/vectors.rs writes FILE)",
    )
    parser.add_argument(
        "--library-alone",
        metavar="OUT",
        help="write whether PyJWT alone refuses each invalid vector to OUT",
    )
    args = parser.parse_args()
    with open(args.vectors, encoding="utf-8") as f:
        vectors = json.load(f)

    jwt.api_jwt.datetime = PinnedClock
    PinnedClock.pinned = vectors["now"]
    keys = key_set(vectors["jwks"])
    config = {"issuer": vectors["issuer"], "plugin": vectors["plugin"], "leeway": vectors["leeway"]}
    passed, failures = 0, []

    def check(ok, message):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(message)

    for v in vectors["valid"]:
        try:
            claims = verify_launch_token(v["token"], keys, max_len=vectors["max_token_len"], **config)
            check(claims == v["claims"], f"{v['name']}: claims differ: {claims}")
        except LaunchTokenError as e:
            check(False, f"{v['name']}: valid vector refused: {e}")
        try:
            library_only(v["token"], vectors["jwks"], **config)
            check(True, "")
        except Exception as e:  # noqa: BLE001 (any refusal of a valid vector is a failure)
            check(False, f"{v['name']}: valid vector refused by PyJWT alone: {e!r}")

    # Every invalid vector is refused with its code; PyJWT alone refuses the "standard" ones.
    alone = {}
    for v in vectors["invalid"]:
        try:
            verify_launch_token(v["token"], keys, max_len=vectors["max_token_len"], **config)
            check(False, f"{v['name']}: invalid vector accepted (expected {v['error']})")
        except LaunchTokenError as e:
            check(e.code == v["error"], f"{v['name']}: refused as {e.code}, expected {v['error']}")
        try:
            library_only(v["token"], vectors["jwks"], **config)
            alone[v["name"]] = None
        except Exception as e:  # noqa: BLE001 (what PyJWT alone says, whatever it raises)
            alone[v["name"]] = f"{type(e).__name__}: {e}"
        if v["standard"]:
            check(alone[v["name"]] is not None, f"{v['name']}: marked standard, but PyJWT alone accepts it")

    # The per-plugin algorithm (PROTOCOL.md §3): the vendor of an ES256 plugin, holding the P-256
    # key alone. Pinned to the plugin's algorithm, the other algorithm's token fails at check 5
    # (`error_when_alg_pinned`); accepting both algorithms, it fails where `error` says.
    section = vectors["per_plugin_algorithm"]
    section_keys = key_set(section["jwks"])
    section_config = {**config, "plugin": section["plugin"]}
    pinned = {"algorithms": (section["algorithm"],), "max_len": vectors["max_token_len"]}
    for v in section["valid"]:
        for label, options in (("pinned", pinned), ("both algorithms", {"max_len": vectors["max_token_len"]})):
            try:
                claims = verify_launch_token(v["token"], section_keys, **options, **section_config)
                check(claims == v["claims"], f"{section['plugin']} {v['name']} ({label}): claims differ: {claims}")
            except LaunchTokenError as e:
                check(False, f"{section['plugin']} {v['name']} ({label}): valid vector refused: {e}")
        try:
            library_only(v["token"], section["jwks"], **section_config)
            check(True, "")
        except Exception as e:  # noqa: BLE001
            check(False, f"{section['plugin']} {v['name']}: valid vector refused by PyJWT alone: {e!r}")
    for v in section["invalid"]:
        expected = {"pinned": v.get("error_when_alg_pinned", v["error"]), "both algorithms": v["error"]}
        for label, options in (("pinned", pinned), ("both algorithms", {"max_len": vectors["max_token_len"]})):
            try:
                verify_launch_token(v["token"], section_keys, **options, **section_config)
                check(False, f"{section['plugin']} {v['name']} ({label}): accepted (expected {expected[label]})")
            except LaunchTokenError as e:
                check(
                    e.code == expected[label],
                    f"{section['plugin']} {v['name']} ({label}): refused as {e.code}, expected {expected[label]}",
                )
        check(v["name"] not in alone, f"{v['name']}: a per-plugin vector's name is already a vector's")
        try:
            library_only(v["token"], section["jwks"], **section_config)
            alone[v["name"]] = None
        except Exception as e:  # noqa: BLE001
            alone[v["name"]] = f"{type(e).__name__}: {e}"
        if v["standard"]:
            check(alone[v["name"]] is not None, f"{v['name']}: marked standard, but PyJWT alone accepts it")

    if args.library_alone:
        with open(args.library_alone, "w", encoding="utf-8") as f:
            json.dump({"library": f"PyJWT {jwt.__version__}", "refused": alone}, f, indent=2)

    # The other direction: tokens the crate minted (Issuer::mint) verify here, with their claims.
    if args.crate_minted:
        with open(args.crate_minted, encoding="utf-8") as f:
            minted = json.load(f)
        algs = set()
        for entry in minted["tokens"]:
            algs.add(entry["alg"])
            try:
                claims = verify_launch_token(entry["token"], keys, **config)
                check(claims == entry["claims"], f"crate-minted {entry['alg']}: claims differ: {claims}")
            except LaunchTokenError as e:
                check(False, f"crate-minted {entry['alg']} token refused: {e}")
            try:
                library_only(entry["token"], vectors["jwks"], **config)
                check(True, "")
            except Exception as e:  # noqa: BLE001
                check(False, f"crate-minted {entry['alg']} token refused by PyJWT alone: {e!r}")
        check(algs == {"EdDSA", "ES256"}, f"crate-minted tokens cover {sorted(algs)}, not both algorithms")

    if args.mint:
        tokens = []
        roles = {"EdDSA": ("cliente", "gestor"), "ES256": ("sindico", "cliente")}
        for private_jwk in vectors["test_private_keys"]:
            alg = jwt.PyJWK(private_jwk).algorithm_name
            for n, role in enumerate(roles[alg]):
                token, claims = mint(
                    private_jwk,
                    issuer=vectors["issuer"],
                    plugin=vectors["plugin"],
                    sub=f"pyjwt:{alg}:{n}",
                    role=role,
                    now=vectors["now"],
                )
                # Our own recipe accepts what we mint, and the crate must too (tests/vectors.rs).
                try:
                    verify_launch_token(token, keys, **config)
                    check(True, "")
                except LaunchTokenError as e:
                    check(False, f"minted {alg} token refused by this recipe: {e}")
                tokens.append({"alg": alg, "token": token, "claims": claims})
        with open(args.mint, "w", encoding="utf-8") as f:
            json.dump({"minted_by": f"PyJWT {jwt.__version__}", "tokens": tokens}, f, indent=2)

    for message in failures:
        print(f"FAIL {message}")
    print(f"pyjwt {jwt.__version__}: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
