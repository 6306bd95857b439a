#!/usr/bin/env bash
# cv-portal-plugin beside a host application whose build enables jsonwebtoken's `rust_crypto`
# backend (issue 10): tests/host-crates/rust-crypto, a crate of its own because Cargo unifies
# features. Its tests check that the host's HS256 runs on the auto-selected RustCrypto provider,
# that launch tokens are still verified (and forgeries refused) with the crate's ring provider,
# and that a hostile provider installed by the host changes nothing for launch tokens.
#
# Runs alone too: `bash .ci/provider-host.sh`. Uses the crate's target directory (or
# $CARGO_TARGET_DIR), so dependencies the crate already built are reused. The host crate's
# Cargo.lock is committed for reproducible versions; it is not --locked, because it also records
# the crate's own dependencies, which change with the crate.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

started=$(date +%s)
cargo test --manifest-path tests/host-crates/rust-crypto/Cargo.toml
echo "provider-host: $(( $(date +%s) - started )) s"
