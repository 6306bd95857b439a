#!/usr/bin/env bash
# Cross-library conformance (SECURITY.md, "Conformance"). Called by .ci/run; runs alone too:
# `bash .ci/conformance.sh`.
#
# 1. The crate mints tokens (Issuer::mint, the vectors' TEST keys) for the other libraries
#    (tests/vectors.rs, `crate_minted_tokens_for_foreign_verifiers`).
# 2. PyJWT and node `jose` each check vectors/launch-tokens.json with the vendor recipe of
#    conformance/: every valid vector verifies with its claims, every invalid one is refused with
#    its code. Each also verifies the crate's tokens, and records what the library alone (without
#    the recipe's own lines) does with each invalid vector.
# 3. The `standard` flag of every invalid vector must be what was measured (refused by both
#    libraries alone), and the table in vectors/README.md must be the measured one.
# 4. Each library mints tokens the way PROTOCOL.md says (EdDSA and ES256, the vectors' TEST keys),
#    and the crate verifies them (tests/vectors.rs, `foreign_minted_tokens_verify`).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
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

echo "conformance: done in $(( $(date +%s) - started )) s"
