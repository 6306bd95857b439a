#!/usr/bin/env bash
# The end-to-end test of issue 14 (tests/e2e): portal_demo and vendor_demo in Debian's headless
# Chromium, three HTTPS sites (portal.test, vendor.test, evil.test) from a throwaway CA, third-party
# cookies blocked. Called by .ci/run; runs alone too: `bash .ci/e2e.sh`.
#
# As root on a fresh Debian 12 machine: installs chromium (and openssl) with apt-get when missing,
# `npm ci` in tests/e2e (playwright-core only; it downloads no browser), makes the CA and the
# sites' certificate with openssl, builds the two demo examples, runs `node --test`, and prints the
# time the test run took (after the build). Screenshots: target/e2e-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "e2e: missing ${need[*]} and cannot install it (needs root and apt-get)" >&2
        exit 1
    fi
    echo "e2e: installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "e2e: npm ci (playwright-core, no browser download)"
(cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

echo "e2e: a throwaway CA and one certificate for portal.test, vendor.test, evil.test, cookie-probe.test"
(
    cd "$work"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=cv-portal-plugin e2e throwaway CA" -keyout ca.key -out ca.pem \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=portal.test" \
        -keyout server.key -out server.csr 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:portal.test,DNS:vendor.test,DNS:evil.test,DNS:cookie-probe.test" \
        "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.pem 2>/dev/null
)

# E2E_BIN_DIR set: use the demos already built there (a developer's loop); else build them.
if [ -z "${E2E_BIN_DIR:-}" ]; then
    echo "e2e: building portal_demo and vendor_demo"
    cargo build --quiet --example portal_demo --example vendor_demo --all-features
    target_dir="$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    E2E_BIN_DIR="$target_dir/debug/examples"
fi

# The outer limit (900 s) is above the sum of the tests' own timeouts (7 tests × 90 s, each
# aborting itself with screenshots at 65 s) plus the stage's set-up; -k kills a stuck run.
mkdir -p target/e2e-screenshots
rm -f target/e2e-screenshots/*.png
started=$(date +%s)
status=0
(
    cd tests/e2e
    TMPDIR="$work" E2E_BIN_DIR="$E2E_BIN_DIR" E2E_CERT_DIR="$work" E2E_TMP="$work" \
        timeout -k 10 900 node --test --test-concurrency=1 --test-reporter=spec e2e.test.js
) || status=$?
echo "e2e: the test run took $(($(date +%s) - started)) s (after the build); screenshots in target/e2e-screenshots/"
exit "$status"
