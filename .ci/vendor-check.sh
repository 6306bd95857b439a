#!/usr/bin/env bash
# `cvplugin vendor-check` (issue 15) against two real vendors, each of which must pass every case:
#   1. the demo vendor of issue 14 (examples/vendor_demo, Rust, axum), both deliveries;
#   2. the PHP recipe's launch endpoint (conformance/recipes/php/index.php) under `php -S`, with
#      single use in SQLite and the client-data redemption on;
# and against one lax PHP vendor that must fail exactly its weakness's cases:
#   3. conformance/recipes/php/lax_hs256_pem.php: the recipe plus HS256 keyed with the PEM public
#      key (php-jwt < 6), which must fail hs256_keyed_with_the_pem_{query,form} and nothing else.
# The checker plays the portal on a loopback port; each vendor is configured with that issuer.
# Called by .ci/run after .ci/recipes.sh (which installs PHP and lcobucci/jwt); runs alone too:
# `bash .ci/vendor-check.sh`. Exits non-zero if any case fails.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "vendor-check: FAIL: $*" >&2
    exit 1
}

cargo build --quiet --all-features --bin cvplugin --example vendor_demo
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cvplugin="$target_dir/debug/cvplugin"
vendor_demo="$target_dir/debug/examples/vendor_demo"

work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# check NAME DELIVERY LAUNCH_URL PORTAL_PORT START_VENDOR...: starts the checker (sending
# launches by DELIVERY: query, form-post or both), waits until it listens, starts the vendor with
# START_VENDOR, and requires every case to pass; with EXPECT_FAIL set (the failing case names,
# space-separated, sorted), requires exactly those to fail.
check() {
    local name=$1 delivery=$2 launch_url=$3 portal_port=$4 expect_fail=${EXPECT_FAIL:-}
    shift 4
    local issuer="http://127.0.0.1:$portal_port" ready="$work/$name.ready" out="$work/$name.out"
    "$cvplugin" vendor-check --launch-url "$launch_url" --issuer "$issuer" --plugin financeiro \
        --portal-addr "127.0.0.1:$portal_port" --delivery "$delivery" --ready-file "$ready" \
        --wait 60 >"$out" 2>&1 &
    local checker=$!
    pids+=("$checker")
    for _ in $(seq 1 100); do
        [ -s "$ready" ] && break
        sleep 0.1
    done
    [ -s "$ready" ] || fail "$name: the checker did not start listening: $(cat "$out")"
    "$@" >"$work/$name.vendor.log" 2>&1 &
    pids+=("$!")
    local status=0
    wait "$checker" || status=$?
    if [ -n "$expect_fail" ]; then
        local failed
        failed=$(sed -n 's/^FAIL \([a-z0-9_]*\):.*/\1/p' "$out" | sort | tr '\n' ' ' | sed 's/ $//')
        if [ "$status" -ne 1 ] || [ "$failed" != "$expect_fail" ]; then
            cat "$out" >&2
            fail "$name: expected exit 1 failing exactly [$expect_fail], got exit $status failing [$failed]"
        fi
        echo "vendor-check: $name: fails exactly $expect_fail, as it must"
        return
    fi
    if [ "$status" -ne 0 ]; then
        cat "$out" >&2
        echo "--- $name's log:" >&2
        tail -20 "$work/$name.vendor.log" >&2
        fail "$name: vendor-check exited $status"
    fi
    echo "vendor-check: $name: $(tail -1 "$out")"
}

started=$(date +%s)

portal=$(free_port)
vendor=$(free_port)
# The demo vendor accepts each plugin's one delivery (PROTOCOL.md §5): financeiro by query,
# financeiro-post by form POST. Each is checked with its own.
check vendor_demo_query query "http://127.0.0.1:$vendor/launch" "$portal" \
    "$vendor_demo" --addr "127.0.0.1:$vendor" --public-url "http://127.0.0.1:$vendor" \
    --portal "http://127.0.0.1:$portal" --plugin financeiro:query
portal=$(free_port)
vendor=$(free_port)
check vendor_demo_form_post form-post "http://127.0.0.1:$vendor/launch" "$portal" \
    "$vendor_demo" --addr "127.0.0.1:$vendor" --public-url "http://127.0.0.1:$vendor" \
    --portal "http://127.0.0.1:$portal" --plugin financeiro:form_post

command -v php >/dev/null || fail "php is needed (bash .ci/recipes.sh installs it)"
portal=$(free_port)
vendor=$(free_port)
mkdir -p "$work/php-state"
check php_recipe both "http://127.0.0.1:$vendor/launch" "$portal" \
    env CV_ISSUER="http://127.0.0.1:$portal" CV_PLUGIN=financeiro \
    CV_PORTAL_ORIGIN="http://127.0.0.1:$portal" CV_DELIVERY=both CV_CLIENT_DATA=1 \
    CV_STATE_DIR="$work/php-state" \
    php -S "127.0.0.1:$vendor" conformance/recipes/php/index.php

portal=$(free_port)
vendor=$(free_port)
mkdir -p "$work/lax-state"
EXPECT_FAIL="hs256_keyed_with_the_pem_form hs256_keyed_with_the_pem_query" \
    check php_lax_hs256_pem both "http://127.0.0.1:$vendor/launch" "$portal" \
    env CV_ISSUER="http://127.0.0.1:$portal" CV_PLUGIN=financeiro \
    CV_PORTAL_ORIGIN="http://127.0.0.1:$portal" CV_DELIVERY=both CV_CLIENT_DATA=1 \
    CV_STATE_DIR="$work/lax-state" \
    php -S "127.0.0.1:$vendor" conformance/recipes/php/lax_hs256_pem.php

echo "vendor-check: the demo vendor and the PHP recipe pass every case, the lax one fails exactly its own ($(($(date +%s) - started)) s after the build)"
