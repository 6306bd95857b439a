#!/usr/bin/env bash
# Cross-library conformance (SECURITY.md, "Conformance"). Called by .ci/run; runs alone too:
# `bash .ci/conformance.sh`.
#
# 1. The crate mints tokens (Issuer::mint, the vectors' TEST keys) for the other libraries
#    (tests/vectors.rs, `crate_minted_tokens_for_foreign_verifiers`).
# 2. PyJWT and node `jose` each check vectors/launch-tokens.json with the vendor recipe of
#    conformance/: every valid vector verifies with its claims, every invalid one is refused with
#    its code; `per_plugin_algorithm`'s too, with its own key set and plugin (pinned to its
#    algorithm: `error_when_alg_pinned` where present; accepting both: `error`). Each also
#    verifies the crate's tokens, and records what the library alone (without the recipe's own
#    lines) does with each invalid vector.
# 3. The `standard` flag of every invalid vector (per_plugin_algorithm's included) must be what
#    was measured (refused by both libraries alone), and the table in vectors/README.md must be
#    the measured one.
# 4. Each library mints tokens the way PROTOCOL.md says (EdDSA and ES256, the vectors' TEST keys),
#    and the crate verifies them (tests/vectors.rs, `foreign_minted_tokens_verify`).
# 5. The vendor's side of client data (PROTOCOL.md §10-11) in Python (PyJWT, urllib) and node (jose,
#    fetch), conformance/client_data.{py,mjs}: each runs the cases of vectors/client-data.json in
#    order against its own fresh loopback portal (examples/portal_loopback.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
portal_pids=()
stop_portals() {
    local pid
    for pid in "${portal_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    portal_pids=()
}
trap 'stop_portals; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

echo "conformance: installing PyJWT and cryptography"
pip_install=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore
    -r conformance/requirements.txt)
if ! "${pip_install[@]}"; then
    # A Debian-managed Python refuses plain installs (PEP 668); this machine is CI's own.
    "${pip_install[@]}" --break-system-packages
fi
echo "conformance: installing jose"
(cd conformance && npm ci --no-audit --no-fund --loglevel=error)

echo "conformance: the crate mints tokens for PyJWT and jose"
CV_CRATE_MINTED="$work/crate.json" \
    cargo test --all-features --test vectors -- --ignored crate_minted_tokens_for_foreign_verifiers

echo "conformance: PyJWT"
python3 conformance/verify_vectors.py vectors/launch-tokens.json --crate-minted "$work/crate.json" \
    --library-alone "$work/pyjwt-alone.json" --mint "$work/pyjwt.json"
echo "conformance: jose"
# From conformance/, so that `import 'jose'` finds conformance/node_modules.
(cd conformance && node verify_vectors.mjs ../vectors/launch-tokens.json \
    --crate-minted "$work/crate.json" --library-alone "$work/jose-alone.json" --mint "$work/jose.json")

echo "conformance: the vectors' standard flags are what PyJWT and jose do alone"
python3 conformance/standard_flags.py vectors/launch-tokens.json \
    "$work/pyjwt-alone.json" "$work/jose-alone.json" --readme vectors/README.md

echo "conformance: the crate verifies what PyJWT and jose minted"
CV_FOREIGN_TOKENS="$work/pyjwt.json:$work/jose.json" \
    cargo test --all-features --test vectors -- --ignored foreign_minted_tokens_verify --nocapture

echo "conformance: building the loopback portal (examples/portal_loopback.rs)"
portal_bin="$(cargo build --all-features --example portal_loopback --message-format=json-render-diagnostics |
    python3 -c 'import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "portal_loopback"]
print(paths[-1])')"

# with_fresh_portal LABEL DIR COMMAND...: starts a loopback portal with a fresh redemption record,
# runs COMMAND --portal URL in DIR (at most 120 s), then stops the portal. The portal's standard
# input is a FIFO this script holds open, so the portal also stops if this script dies unkillably
# (SIGKILL): no server outlives the run.
with_fresh_portal() {
    local label="$1" dir="$2"
    shift 2
    local port_file="$work/$label.url" log="$work/$label.log" fifo="$work/$label.stdin" hold pid
    mkfifo "$fifo"
    "$portal_bin" --vectors "$PWD/vectors/client-data.json" --port-file "$port_file" \
        --stop-on-eof <"$fifo" >/dev/null 2>"$log" &
    pid=$!
    portal_pids+=("$pid")
    exec {hold}>"$fifo"
    for _ in $(seq 100); do
        [ -s "$port_file" ] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "conformance: the loopback portal for $label exited:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    if [ ! -s "$port_file" ]; then
        echo "conformance: the loopback portal for $label wrote no URL within 10 s:" >&2
        cat "$log" >&2
        return 1
    fi
    local status=0
    (cd "$dir" && timeout 120 "$@" --portal "$(cat "$port_file")") || status=$?
    exec {hold}>&-
    stop_portals
    if [ "$status" -ne 0 ]; then
        [ "$status" -eq 124 ] && echo "conformance: $label timed out after 120 s" >&2
        echo "conformance: the loopback portal's log for $label:" >&2
        cat "$log" >&2
    fi
    return "$status"
}

echo "conformance: client data, Python (PyJWT, urllib) against a loopback portal"
with_fresh_portal pyjwt . python3 conformance/client_data.py vectors/client-data.json
echo "conformance: client data, JavaScript (jose, fetch) against a loopback portal"
with_fresh_portal jose conformance node client_data.mjs ../vectors/client-data.json

echo "conformance: done in $(( $(date +%s) - started )) s"
