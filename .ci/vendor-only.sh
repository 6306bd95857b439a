#!/usr/bin/env bash
# The vendor-only build (`--no-default-features --features vendor`) pulls no portal-only
# dependency and compiles none of the portal's modules. Run from the repository root.
set -euo pipefail

features=(--no-default-features --features vendor)

# 1. Dependencies: none that only the portal's side pulls (computed, not listed by hand: what the
#    portal-only build depends on and the vendor-only build should not), and no I/O stack.
crates() { cargo tree -e normal --prefix none "$@" | sed 's/ .*//' | sort -u; }
tree=$(crates "${features[@]}")
shared=$(crates --no-default-features)
portal_only=$(comm -23 <(crates --no-default-features --features portal) <(echo "$shared"))
if [ -z "$portal_only" ]; then
    echo "the portal-only dependency list is empty: the check below would prove nothing" >&2
    exit 1
fi
for forbidden in $portal_only clap redis rustls tokio hyper reqwest; do
    if grep -qx "$forbidden" <<<"$tree"; then
        echo "vendor-only build depends on $forbidden" >&2
        exit 1
    fi
done

# 2. Modules: rustc's own list of the crate's source files for that build names no portal module.
deps=$(mktemp)
trap 'rm -f "$deps"' EXIT
cargo rustc --lib "${features[@]}" --quiet -- --emit=dep-info="$deps" >/dev/null
portal_files=$(grep -oE 'src/(config/[a-z_]+|data_endpoint/[a-z_]+|menu|render|viewer|issue|html|keys/signing|keys/pkcs8)\.rs' "$deps" | sort -u || true)
if [ -n "$portal_files" ]; then
    echo "vendor-only build compiles portal modules:" >&2
    echo "$portal_files" >&2
    exit 1
fi
echo "vendor-only: $(grep -c '\.rs:' "$deps") source files, no portal module; none of the portal's own dependencies ($(tr '\n' ' ' <<<"$portal_only"))"

# 3. The default build and the build with no features compile no HTTP stack, no async runtime
#    and no Redis: those come only with the features that ask for them.
for build in "" "--no-default-features"; do
    # shellcheck disable=SC2086
    tree=$(crates $build)
    for forbidden in tokio hyper h2 reqwest rustls redis axum mio; do
        if grep -qx "$forbidden" <<<"$tree"; then
            echo "the build with ${build:-default features} depends on $forbidden" >&2
            exit 1
        fi
    done
    echo "${build:-default features}: $(wc -l <<<"$tree") crates, no HTTP stack, async runtime or Redis"
done
