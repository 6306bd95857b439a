#!/usr/bin/env python3
"""CV plugin client data in Python: the vendor's side of PROTOCOL.md §10-11, proved on a portal.

    python3 client_data.py ../vectors/client-data.json --portal http://127.0.0.1:PORT

If you are an ERP vendor, read `fetch_discovery`, `client_data_request` and `read_client_data`
below. With `verify_launch_token` (verify_vectors.py) they are the whole exchange: fetch the
portal's discovery document for the issuer you were configured with (never for an `iss` read
from an unverified token), verify the launch token, then redeem it once at the portal's
client-data endpoint and read the answer as §11's "vendor's view" table says. The HTTP client is
yours (`get` below: urllib here, without redirects); the recipe only needs a GET that returns the
status, the headers and at most 64 KiB + 1 of the body.

The script then runs the cases of vectors/client-data.json, in order, against a portal serving
that fixture (`cargo run --example portal_loopback`, fresh for each run: the cases redeem tokens).
The fixture's documents name `https://portal.test`; the script reaches them at `--portal` by
replacing that origin. For each case it verifies the case's token with the vectors' pinned clock
(its claims, or its §6 refusal code), sends the request exactly as given, and compares the status,
the headers that matter and the body with the expected answer; then it reads the answer as a
vendor does and compares that reading (data, or fault, code and the portal's code) with the case.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import jwt

from verify_vectors import (
    ROLES,
    LaunchTokenError,
    PinnedClock,
    key_set,
    verify_launch_token,
)

MAX_BODY_LEN = 64 * 1024
DISCOVERY_PATH = "/.well-known/cv-plugin"
MAX_TOKEN_LEN = 4096
B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
LOOPBACK = re.compile(r"localhost|127(\.\d{1,3}){3}|\[::1\]")


class ClientDataError(Exception):
    """Why there is no data. `code` is this recipe's code (the same as cv-portal-plugin's),
    `fault` what it means for the vendor (no_data, token, access, unavailable, protocol), and
    `server_code` the portal's own code, when it sent one."""

    def __init__(self, code, fault="protocol", server_code=None, detail=""):
        super().__init__(f"{code} ({fault}, portal: {server_code}){': ' + detail if detail else ''}")
        self.code, self.fault, self.server_code = code, fault, server_code


def json_object(body, on_error):
    """A UTF-8 JSON object without repeated member names at any depth."""

    def no_repeats(pairs):
        names = [name for name, _ in pairs]
        if len(names) != len(set(names)):
            raise ValueError("a repeated member")
        return dict(pairs)

    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=no_repeats)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ClientDataError(on_error, detail=str(e)) from None
    if not isinstance(value, dict):
        raise ClientDataError(on_error, detail="not a JSON object")
    return value


def check_url(url, role):
    """https, or http for a loopback host; printable ASCII; no userinfo or fragment."""
    if not isinstance(url, str) or not re.fullmatch(r"[\x21-\x7e]{1,2048}", url):
        raise ClientDataError("data_url_invalid", detail=role)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ClientDataError("data_url_invalid", detail=role)
    if "@" in parts.netloc or parts.fragment or "#" in url:
        raise ClientDataError("data_url_invalid", detail=f"{role}: userinfo or fragment")
    if parts.scheme == "http" and not LOOPBACK.fullmatch(parts.netloc.rsplit(":", 1)[0]):
        raise ClientDataError("data_url_not_https", detail=role)


def discovery_url(issuer):
    """The issuer with one trailing `/` removed, then /.well-known/cv-plugin (§11)."""
    check_url(issuer, "issuer")
    if urllib.parse.urlsplit(issuer).query:
        raise ClientDataError("data_url_invalid", detail="an issuer with a query")
    return issuer.removesuffix("/") + DISCOVERY_PATH


def fetch_discovery(issuer, get):
    """The discovery document of `issuer` (the one you were configured with), checked as §11's
    "Discovery, the vendor's checks" says, in order. Raises ClientDataError."""
    status, _, body = get(discovery_url(issuer), {"Accept": "application/json"})
    if status != 200:
        raise ClientDataError("discovery_http_status", detail=str(status))
    if len(body) > MAX_BODY_LEN:
        raise ClientDataError("discovery_too_large")
    document = json_object(body, "discovery_invalid")
    version = document.get("protocol_version")
    if type(version) is not int:  # bool is an int subclass
        raise ClientDataError("discovery_invalid", detail="protocol_version")
    if version != 1:
        raise ClientDataError("discovery_unsupported_version", detail=str(version))
    if document.get("issuer") != issuer:
        raise ClientDataError("discovery_issuer_mismatch")
    algs = document.get("token_signing_alg_values_supported")
    shape_ok = (
        isinstance(document.get("jwks_uri"), str)
        and isinstance(document.get("client_data_endpoint"), str)
        and isinstance(algs, list)
        and all(isinstance(a, str) for a in algs)
    )
    if not shape_ok:
        raise ClientDataError("discovery_invalid", detail="a member is missing or of the wrong type")
    for role in ("jwks_uri", "client_data_endpoint"):
        check_url(document[role], role)
        if issuer.lower().startswith("https://") and not document[role].lower().startswith("https://"):
            raise ClientDataError("data_url_not_https", detail=f"{role} of an https portal")
    return document


def client_data_request(discovery, claims, token):
    """The request that redeems `token`, whose verified claims are `claims`, at the portal of
    `discovery`: (url, headers). Only to the portal that issued it, only a b64token (§11)."""
    if claims["iss"] != discovery["issuer"]:
        raise ClientDataError("discovery_issuer_mismatch", detail="the token is another portal's")
    if len(token) > MAX_TOKEN_LEN or not B64TOKEN.fullmatch(token):
        raise ClientDataError("bearer_token_invalid")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return discovery["client_data_endpoint"], headers


def challenge_params(header):
    """The auth-params of a `Bearer` challenge (`error`, `error_description`, ...), or {}."""
    match = re.fullmatch(r"\s*Bearer\s+(.*)", header or "", re.IGNORECASE | re.DOTALL)
    if not match:
        return {}
    params = {}
    for m in re.finditer(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))', match.group(1)):
        params.setdefault(m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
    return params


def server_code(body, www_authenticate):
    """The body's `error`, else the challenge's `error_description`, else its `error`: the first
    that is a snake_case code of at most 64 bytes."""
    candidates = []
    if len(body) <= MAX_BODY_LEN:
        try:
            value = json.loads(body.decode("utf-8"))
            if isinstance(value, dict):
                candidates.append(value.get("error"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            pass
    params = challenge_params(www_authenticate)
    candidates += [params.get("error_description"), params.get("error")]
    return next((c for c in candidates if isinstance(c, str) and CODE.fullmatch(c)), None)


def valid_tax_document(document):
    """{"type": "cpf" | "cnpj", "number": ...} in normal form, check digits valid (§11)."""
    if not isinstance(document, dict) or set(document) - {"type", "number"}:
        return False
    kind, number = document.get("type"), document.get("number")
    if not isinstance(number, str):
        return False
    if kind == "cpf" and re.fullmatch(r"\d{11}", number) and len(set(number)) > 1:
        d = [int(c) for c in number]
        check = lambda n: sum(d[i] * (n + 1 - i) for i in range(n)) * 10 % 11 % 10  # noqa: E731
        return check(9) == d[9] and check(10) == d[10]
    if kind == "cnpj" and re.fullmatch(r"[0-9A-Z]{12}\d{2}", number) and len(set(number)) > 1:
        v = [ord(c) - 48 for c in number]

        def check(n):
            r = sum(v[n - 1 - i] * (2 + i % 8) for i in range(n)) % 11
            return 0 if r < 2 else 11 - r

        return check(12) == v[12] and check(13) == v[13]
    return False


def valid_units(units):
    optional = {"bloco", "contract_id"}
    return isinstance(units, list) and all(
        isinstance(u, dict)
        and isinstance(u.get("empreendimento"), str)
        and isinstance(u.get("unidade"), str)
        and all(isinstance(u[k], str) for k in optional & set(u))
        for u in units
    )


def read_client_data(status, www_authenticate, body, claims=None):
    """The portal's answer as §11's "vendor's view" table reads it: the data, or ClientDataError.
    With the verified `claims`, the data must be that launch's (sub, role, plugin)."""
    if status not in (200, 400, 401, 403, 404, 503):
        raise ClientDataError("data_unexpected_status", detail=str(status))
    if status == 200:
        if len(body) > MAX_BODY_LEN:
            raise ClientDataError("data_answer_too_large")
        data = json_object(body, "data_answer_invalid")
        types_ok = (
            all(isinstance(data.get(k), str) for k in ("sub", "plugin"))
            and data.get("role") in ROLES
            and all(isinstance(data[k], str) for k in {"name", "email", "phone"} & set(data))
            and ("document" not in data or valid_tax_document(data["document"]))
            and ("units" not in data or valid_units(data["units"]))
        )
        if not types_ok:
            raise ClientDataError("data_answer_invalid")
        if claims is not None:
            for member, claim in (("sub", "sub"), ("role", "role"), ("plugin", "aud")):
                if data[member] != claims[claim]:
                    raise ClientDataError("data_not_for_this_launch", detail=member)
        return data
    if status == 404:
        # "No data" only when the body says so: a wrong URL's 404 must not pass for it.
        if json_code(body) == "client_not_found":
            raise ClientDataError("data_client_not_found", "no_data", "client_not_found")
        raise ClientDataError("data_endpoint_not_found")
    code = server_code(body, www_authenticate)
    if status == 401:
        fault = "protocol" if code == "missing_token" else "token"
        raise ClientDataError("data_token_refused", fault, code)
    if status == 403:
        raise ClientDataError("data_access_denied", "access", code)
    if status == 400:
        raise ClientDataError("data_request_refused", "protocol", code)
    raise ClientDataError("data_portal_unavailable", "unavailable", code)  # 503: retry once


def json_code(body):
    """The body's `error`, only (a 404 is "no data" only when its body says so)."""
    try:
        value = json.loads(body.decode("utf-8")) if len(body) <= MAX_BODY_LEN else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value.get("error") if isinstance(value, dict) else None


# ---- The conformance run (a test harness, not part of the recipe) ---------------------------

class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, not a hop: a redirect would carry the token elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


# No redirects, and no proxies from the environment (the portal is on loopback).
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirects)


def loopback_get(issuer, portal, timeout=10):
    """A `get` that sends the fixture's https://portal.test URLs to the loopback `portal`."""
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(issuer))

    def get(url, headers):
        if not url.startswith(origin + "/"):
            raise AssertionError(f"{url} is not under the fixture's origin {origin}")
        request = urllib.request.Request(portal + url[len(origin) :], headers=headers)
        try:
            with OPENER.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read(MAX_BODY_LEN + 1)
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers, e.read(MAX_BODY_LEN + 1)

    return get


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors", help="vectors/client-data.json")
    parser.add_argument("--portal", required=True, help="the loopback portal's base URL")
    args = parser.parse_args()
    with open(args.vectors, encoding="utf-8") as f:
        vectors = json.load(f)
    jwt.api_jwt.datetime = PinnedClock
    PinnedClock.pinned = vectors["now"]
    issuer = vectors["issuer"]
    get = loopback_get(issuer, args.portal.rstrip("/"))
    passed, failures = 0, []

    def check(ok, message):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(message)

    # §10: discovery for the configured issuer, then the keys it names.
    try:
        discovery = fetch_discovery(issuer, get)
    except (ClientDataError, OSError) as e:
        print(f"FAIL discovery: {e!r} (is the portal at {args.portal} running?)")
        return 1
    check(discovery == vectors["discovery"], f"discovery differs: {discovery}")
    try:
        fetch_discovery(issuer + "/", get)
        check(False, "discovery for issuer with a trailing slash accepted")
    except ClientDataError as e:
        check(e.code == "discovery_issuer_mismatch", f"trailing-slash issuer: {e}")
    status, _, body = get(discovery["jwks_uri"], {"Accept": "application/json"})
    jwks = json.loads(body) if status == 200 else None
    check(jwks == vectors["jwks"], f"JWKS: status {status}, {jwks}")
    keys = key_set(jwks or vectors["jwks"])

    for case in vectors["cases"]:
        name, expected = case["name"], case["expected"]
        authorization = case["request"].get("authorization")
        claims = None
        if "verify" in case:
            v = case["verify"]
            try:
                claims = verify_launch_token(v["token"], keys, issuer=issuer, plugin=v["plugin"])
                check(claims == v.get("claims"), f"{name}: verified, expected {v.get('error')}")
            except LaunchTokenError as e:
                check(e.code == v.get("error"), f"{name}: token refused as {e.code}, expected {v.get('error') or 'its claims'}")
        headers = {"Accept": "application/json"}
        if claims is not None and authorization == f"Bearer {case['verify']['token']}":
            # The recipe builds the very request the case sends.
            url, headers = client_data_request(discovery, claims, case["verify"]["token"])
            check(url == discovery["client_data_endpoint"], f"{name}: request URL {url}")
        elif authorization is not None:
            headers["Authorization"] = authorization
        try:
            status, answer_headers, body = get(discovery["client_data_endpoint"], headers)
        except OSError as e:
            check(False, f"{name}: no answer: {e!r}")
            continue

        check(status == expected["status"], f"{name}: status {status}, expected {expected['status']}")
        for header, value in expected["headers"].items():
            got = answer_headers.get(header)
            check(got == value, f"{name}: {header}: {got!r}, expected {value!r}")
        for header in ("WWW-Authenticate", "Retry-After"):
            if header not in expected["headers"]:
                check(answer_headers.get(header) is None, f"{name}: unexpected {header}")
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if "body" in expected:
            check(answer == expected["body"], f"{name}: body {answer}, expected {expected['body']}")
        else:
            ok = (
                isinstance(answer, dict)
                and sorted(answer) == ["error", "error_description"]
                and answer["error"] == expected["error"]
                and isinstance(answer["error_description"], str)
                and len(answer["error_description"].encode()) <= 256
                and ("verify" not in case or case["verify"]["token"] not in answer["error_description"])
            )
            check(ok, f"{name}: error body {body[:300]!r}, expected error {expected['error']}")

        vendor = case["vendor"]
        try:
            data = read_client_data(status, answer_headers.get("WWW-Authenticate"), body, claims)
            check(vendor["outcome"] == "data" and data == expected.get("body"), f"{name}: read data {data}")
        except ClientDataError as e:
            reading = {"outcome": e.fault, "error": e.code, "server_code": e.server_code}
            check(reading == vendor, f"{name}: read as {reading}, expected {vendor}")

    for message in failures:
        print(f"FAIL {message}")
    print(f"client data, Python (PyJWT {jwt.__version__}): {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
