#!/usr/bin/env bash
# Every build with TLS (features `http`, `redis-tls`, `redis-async`, `cli`) uses rustls on ring, never aws-lc-rs,
# OpenSSL or native-tls; and the crate never fills rustls' process-wide default provider.
# Run from the repository root.
set -euo pipefail

crates() { cargo tree -e normal --prefix none "$@" | sed 's/ .*//' | sort -u; }

# check "FEATURES" REQUIRED...: the graph of FEATURES holds every REQUIRED crate (so the check
# proves something) and no other TLS or crypto backend.
check() {
    local features=$1 tree required forbidden
    shift
    # shellcheck disable=SC2086
    tree=$(crates $features)
    for required in "$@"; do
        if ! grep -qx "$required" <<<"$tree"; then
            echo "tls-backend: $features has no $required: the check below would prove nothing" >&2
            exit 1
        fi
    done
    for forbidden in aws-lc-rs aws-lc-sys aws-lc-fips-sys openssl openssl-sys native-tls; do
        if grep -qx "$forbidden" <<<"$tree"; then
            echo "tls-backend: $features depends on $forbidden" >&2
            exit 1
        fi
    done
    echo "tls-backend: $features: $(wc -l <<<"$tree") crates, ring and rustls, no aws-lc-rs, OpenSSL or native-tls"
}

for features in "--features http" "--no-default-features --features vendor,http" "--features cli" "--all-features"; do
    check "$features" ring rustls reqwest
done
# The Redis guards' builds: rustls (compiled in by redis-async's tokio-rustls path, and by
# redis-tls) on ring, never another backend.
for features in "--no-default-features --features vendor,redis-tls" "--no-default-features --features vendor,redis-async" "--no-default-features --features vendor,redis-async,redis-tls"; do
    check "$features" ring rustls redis
done

# Installing a default would make the crate decide for the whole process (see provider.rs).
if grep -rn --include='*.rs' -E 'install_default\(' src/http src/bin; then
    echo "tls-backend: src/http or the binary installs a process-wide provider" >&2
    exit 1
fi
