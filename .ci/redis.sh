# shellcheck shell=bash
# Starts a throwaway redis-server on a loopback port for the `redis` feature's tests and benches,
# and stops it when the shell that sourced this file exits.
#
#   CI:      sourced by .ci/run (root, fresh Debian): installs Debian's redis-server (and openssl,
#            for the TLS test's certificates) if missing.
#   Locally: source .ci/redis.sh && cargo test --all-features --test redis -- --ignored
#
# The tests that need a live Redis are #[ignore]d, so a plain `cargo test --all-features` lists
# them as ignored; `-- --ignored` runs them, and each fails if the server or binary is missing.
#
# Exports CV_REDIS_URL (what the tests and benches connect to), CV_REDIS_SERVER_BIN (the binary the
# restart test starts its own server with) and CV_REDIS_PID. The port is CV_REDIS_PORT (default
# 6390). The server keeps nothing on disk (no RDB snapshots, no AOF).

if ! (return 0 2>/dev/null); then
    echo "redis.sh: source this file (source .ci/redis.sh), do not run it" >&2
    exit 2
fi

cv_redis_install() {
    # openssl makes the test certificates for the TLS test (feature redis-tls).
    local missing=""
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        missing="redis-server"
    fi
    if ! command -v openssl >/dev/null 2>&1; then
        missing="${missing:+$missing }openssl"
    fi
    if [ -z "$missing" ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "redis.sh: missing $missing (Debian: apt-get install $missing)" >&2
        return 1
    fi
    echo "redis.sh: installing $missing"
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

cv_redis_ping() {
    [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]
}

# Stops the server this file started (bounded wait) and removes its scratch directory.
cv_redis_stop() {
    local pid="${CV_REDIS_PID:-}" i
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    if [ -n "${CV_REDIS_DIR:-}" ]; then
        rm -rf -- "$CV_REDIS_DIR"
    fi
    unset CV_REDIS_PID CV_REDIS_DIR
}

cv_redis_start() {
    local port="${CV_REDIS_PORT:-6390}" i
    # Sourced twice in one shell: replace the earlier server.
    cv_redis_stop
    if cv_redis_ping "$port"; then
        echo "redis.sh: something already answers on 127.0.0.1:$port; set CV_REDIS_PORT to a free port" >&2
        return 1
    fi
    CV_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cv-redis.XXXXXX") || return 1
    export CV_REDIS_DIR
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --dir "$CV_REDIS_DIR" --daemonize yes --pidfile "$CV_REDIS_DIR/redis.pid" \
        --logfile "$CV_REDIS_DIR/redis.log" || return 1
    for i in $(seq 100); do
        if cv_redis_ping "$port" && [ -s "$CV_REDIS_DIR/redis.pid" ]; then
            CV_REDIS_PID=$(cat "$CV_REDIS_DIR/redis.pid")
            export CV_REDIS_PID
            export CV_REDIS_URL="redis://127.0.0.1:$port/0"
            CV_REDIS_SERVER_BIN=$(command -v redis-server)
            export CV_REDIS_SERVER_BIN
            echo "redis.sh: redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') at $CV_REDIS_URL (pid $CV_REDIS_PID)"
            return 0
        fi
        sleep 0.1
    done
    echo "redis.sh: redis-server did not answer PING on 127.0.0.1:$port within 10 s; its log:" >&2
    cat "$CV_REDIS_DIR/redis.log" >&2 || true
    return 1
}

# Keeps an EXIT trap that was already set (bash prints it quoted; eval re-reads those quotes).
cv_redis_trap() {
    local previous
    previous=$(trap -p EXIT)
    CV_REDIS_PREVIOUS_TRAP=""
    if [ -n "$previous" ]; then
        cv_redis_capture() { CV_REDIS_PREVIOUS_TRAP=$2; }
        eval "cv_redis_capture ${previous#trap }"
    fi
    case "$CV_REDIS_PREVIOUS_TRAP" in
        *cv_redis_stop*) ;; # already registered (sourced twice)
        "") trap 'cv_redis_stop' EXIT ;;
        *) trap "cv_redis_stop; $CV_REDIS_PREVIOUS_TRAP" EXIT ;;
    esac
}

if cv_redis_install && cv_redis_trap && cv_redis_start; then
    :
else
    cv_redis_stop
    echo "redis.sh: could not start redis-server" >&2
    return 1
fi
