#!/usr/bin/env bash
# The vendor-only build (`--no-default-features --features vendor`) pulls no portal-only
# dependency and compiles none of the portal's modules. Run from the repository root.
set -euo pipefail

features=(--no-default-features --features vendor)

# 1. Dependencies: the normal dependency tree has none of the portal's (url) nor any I/O stack.
tree=$(cargo tree -e normal --prefix none "${features[@]}" | sed 's/ .*//' | sort -u)
for forbidden in url clap redis rustls tokio hyper reqwest; do
    if grep -qx "$forbidden" <<<"$tree"; then
        echo "vendor-only build depends on $forbidden" >&2
        exit 1
    fi
done

# 2. Modules: rustc's own list of the crate's source files for that build names no portal module.
deps=$(mktemp)
trap 'rm -f "$deps"' EXIT
cargo rustc --lib "${features[@]}" --quiet -- --emit=dep-info="$deps" >/dev/null
portal_files=$(grep -oE 'src/(config/[a-z_]+|menu|render|viewer|issue|html|keys/signing|keys/pkcs8)\.rs' "$deps" | sort -u || true)
if [ -n "$portal_files" ]; then
    echo "vendor-only build compiles portal modules:" >&2
    echo "$portal_files" >&2
    exit 1
fi
echo "vendor-only: $(grep -c '\.rs:' "$deps") source files, no portal module, dependencies: $(tr '\n' ' ' <<<"$tree")"
