#!/usr/bin/env bash
# Every build with TLS (features `http`, `redis-tls`, `cli`) uses rustls on ring, never aws-lc-rs,
# OpenSSL or native-tls; and the crate never fills rustls' process-wide default provider.
# Run from the repository root.
set -euo pipefail

crates() { cargo tree -e normal --prefix none "$@" | sed 's/ .*//' | sort -u; }
for features in "--features http" "--no-default-features --features vendor,http" "--features cli" "--all-features"; do
    # shellcheck disable=SC2086
    tree=$(crates $features)
    for required in ring rustls reqwest; do
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
done

# Installing a default would make the crate decide for the whole process (see provider.rs).
if grep -rn --include='*.rs' -E 'install_default\(' src/http src/bin; then
    echo "tls-backend: src/http or the binary installs a process-wide provider" >&2
    exit 1
fi
