#!/usr/bin/env bash
# The vendor recipes of docs/recipes/ that run on this machine kind (Debian 12), each against
# every vector, as .ci/conformance.sh does for PyJWT and jose:
#   PHP  (lcobucci/jwt 5)    conformance/recipes/php   + index.php under `php -S`
#   Go   (golang-jwt/jwt v5) conformance/recipes/go    (GOPATH mode, offline)
#   Java (jose4j 0.9)        conformance/recipes/java  (javac, no Maven)
# For each: every valid launch vector verifies with its claims and is then `replayed`, every
# invalid one is refused with its code, a verifier pinned to one algorithm refuses the other, the
# `per_plugin_algorithm` vectors pass with their own key set and plugin (pinned: valid ones then
# `replayed`, invalid ones `error_when_alg_pinned` or `error`; both algorithms: `error`), and
# the cases of vectors/client-data.json run in order against a fresh loopback portal
# (examples/portal_loopback.rs). The .NET recipe (docs/recipes/dotnet.md) does not run here.
#
# Runs as root on a fresh machine and is idempotent: Debian 12 packages with the system's apt;
# the three JOSE libraries, which only Debian 13 (trixie) packages, are downloaded through a
# private apt state (its own sources list, lists and cache under /var/cache/cv-recipes-apt, the
# system's mirror and keyring) and installed with the system's apt, which resolves their
# dependencies from bookworm. The system's apt sources are never modified.
# Run alone: `bash .ci/recipes.sh`. Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
started=$(date +%s)

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

# ---- Packages -------------------------------------------------------------------------------
apt_get=(apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
system_packages=(php-cli php-sqlite3 golang-go)
command -v javac >/dev/null || system_packages+=(default-jdk-headless) # OpenJDK 17 on Debian 12
trixie_packages=(php-lcobucci-jwt php-psr-clock golang-github-golang-jwt-jwt-v5-dev libjose4j-java libslf4j-java)
missing=()
for package in "${system_packages[@]}" "${trixie_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# CV_RECIPES_REINSTALL=1 takes the install path even when everything is there (to test it).
[ "${CV_RECIPES_REINSTALL:-0}" = 1 ] && missing=("${system_packages[@]}" "${trixie_packages[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "recipes: installing ${missing[*]}"
    # The mirror the system uses (deb822 sources or a one-line sources.list).
    mirror="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1)"
    [ -n "$mirror" ] || mirror="$(grep -hs '^deb ' /etc/apt/sources.list | grep -v security | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}')"
    mirror="${mirror:-http://deb.debian.org/debian}"
    state=/var/cache/cv-recipes-apt
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources.list.d" "$state/debs"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" >"$state/sources.list"
    private=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/sources.list.d"
        -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache")
    apt-get "${private[@]}" update -qq
    (cd "$state/debs" && rm -f ./*.deb && apt-get "${private[@]}" download -qq "${trixie_packages[@]}" 2>&1 |
        grep -v 'Download is performed unsandboxed' || true)
    "${apt_get[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends \
        "${system_packages[@]}" "$state"/debs/*.deb >/dev/null
fi
php -r 'exit(extension_loaded("sodium") && extension_loaded("openssl") && extension_loaded("pdo_sqlite") ? 0 : 1);' ||
    { echo "recipes: PHP lacks sodium, openssl or pdo_sqlite" >&2; exit 1; }
packages_done=$(date +%s)

# ---- The loopback portal ------------------------------------------------------------------
echo "recipes: building the loopback portal (examples/portal_loopback.rs)"
portal_bin="$(cargo build --example portal_loopback --message-format=json-render-diagnostics |
    python3 -c 'import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "portal_loopback"]
print(paths[-1])')"
build_done=$(date +%s)

# with_fresh_portal LABEL COMMAND...: a loopback portal with a fresh redemption record, COMMAND
# --portal URL (at most 120 s), then the portal stops. Its standard input is a FIFO this script
# holds open, so the portal also stops if this script dies.
with_fresh_portal() {
    local label="$1"
    shift
    local port_file="$work/$label.url" log="$work/$label.log" fifo="$work/$label.stdin" hold pid
    mkfifo "$fifo"
    "$portal_bin" --vectors "$root/vectors/client-data.json" --port-file "$port_file" \
        --stop-on-eof <"$fifo" >/dev/null 2>"$log" &
    pid=$!
    portal_pids+=("$pid")
    exec {hold}>"$fifo"
    for _ in $(seq 100); do
        [ -s "$port_file" ] && break
        kill -0 "$pid" 2>/dev/null || { echo "recipes: the portal for $label exited:" >&2; cat "$log" >&2; return 1; }
        sleep 0.1
    done
    [ -s "$port_file" ] || { echo "recipes: the portal for $label wrote no URL" >&2; cat "$log" >&2; return 1; }
    local status=0
    timeout 120 "$@" --portal "$(cat "$port_file")" || status=$?
    exec {hold}>&-
    stop_portals
    [ "$status" -eq 0 ] || { echo "recipes: the portal's log for $label:" >&2; cat "$log" >&2; }
    return "$status"
}

failed=()
run() { # run LABEL COMMAND...: keeps going after a failure, so that every recipe reports
    local label="$1"
    shift
    "$@" || failed+=("$label")
}

# ---- PHP ------------------------------------------------------------------------------------
php_dir=conformance/recipes/php
echo "recipes: PHP (lcobucci/jwt $(dpkg-query -W -f='${Version}' php-lcobucci-jwt))"
for file in "$php_dir"/*.php "$php_dir"/src/*.php; do
    php -l "$file" >/dev/null
done
run php-launch php "$php_dir/run_vectors.php" vectors/launch-tokens.json
run php-client-data with_fresh_portal php php "$php_dir/run_vectors.php" --client-data vectors/client-data.json
run php-endpoint php "$php_dir/launch_endpoint_smoke.php" vectors/launch-tokens.json

# ---- Go -------------------------------------------------------------------------------------
echo "recipes: Go ($(go version | awk '{print $3}'), golang-jwt/jwt $(dpkg-query -W -f='${Version}' golang-github-golang-jwt-jwt-v5-dev))"
gopath="$work/gopath"
mkdir -p "$gopath/src/cvplugin.test"
ln -s "$root/conformance/recipes/go" "$gopath/src/cvplugin.test/recipe"
export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= GOCACHE="${GOCACHE:-/var/cache/cv-recipes-go}"
(cd "$gopath/src/cvplugin.test/recipe" && test -z "$(gofmt -l cvplugin run_vectors)" && go vet ./... &&
    go build -o "$work/run_vectors_go" ./run_vectors)
run go-launch "$work/run_vectors_go" vectors/launch-tokens.json
run go-client-data with_fresh_portal go "$work/run_vectors_go" --client-data vectors/client-data.json

# ---- Java -----------------------------------------------------------------------------------
echo "recipes: Java ($(javac -version 2>&1), jose4j $(dpkg-query -W -f='${Version}' libjose4j-java))"
classpath=/usr/share/java/jose4j.jar:/usr/share/java/slf4j-api.jar
javac -Xlint:all -Werror -cp "$classpath" -d "$work/java" conformance/recipes/java/src/cvplugin/*.java
java_run=(java -cp "$work/java:$classpath:/usr/share/java/slf4j-nop.jar" cvplugin.RunVectors)
run java-launch "${java_run[@]}" vectors/launch-tokens.json
run java-client-data with_fresh_portal java "${java_run[@]}" --client-data vectors/client-data.json

finished=$(date +%s)
echo "recipes: done in $((finished - started)) s (packages $((packages_done - started)) s," \
    "portal build $((build_done - packages_done)) s, recipes $((finished - build_done)) s)"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "recipes: FAILED: ${failed[*]}" >&2
    exit 1
fi
