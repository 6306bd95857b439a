#!/usr/bin/env bash
# Smoke test of the two demo apps of issue 14 (examples/portal_demo, examples/vendor_demo) with
# curl, over plain http on free loopback ports: login, the menu of each demo person, both launch
# deliveries (query and form POST), single use (a replayed launch is refused), client_not_found,
# the vendor session (API, download ticket, e-mail form, exchange, expiry via the test clock),
# each plugin's one delivery (the other is wrong_delivery), the portal's visibility check on the
# mint endpoint, the request logs (with a Referer self-check), --test-hooks (loopback only, the
# route absent without it), and a clean stop on SIGTERM. Exits non-zero with a message on any mismatch.
#
# Usage: bash .ci/demo-smoke.sh   (builds the two examples first; about 10 s after the build)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "demo-smoke: FAIL: $*" >&2
    exit 1
}
say() { echo "demo-smoke: $*"; }

command -v curl >/dev/null || fail "curl is needed"
command -v python3 >/dev/null || fail "python3 is needed"

cargo build --quiet --example portal_demo --example vendor_demo --all-features
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target_dir/debug/examples"
[ -x "$bin/portal_demo" ] && [ -x "$bin/vendor_demo" ] || fail "the examples were not built in $bin"

work=$(mktemp -d)
portal_pid=""
vendor_pid=""
cleanup() {
    for pid in $vendor_pid $portal_pid; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
portal_port=$(free_port)
vendor_port=$(free_port)
while [ "$vendor_port" = "$portal_port" ]; do vendor_port=$(free_port); done
P="http://127.0.0.1:$portal_port"
V="http://127.0.0.1:$vendor_port"

# The plugin configurations, in the crate's JSON form, linking to this run's vendor.
cat >"$work/plugins.json" <<JSON
[
  {"id": "financeiro", "name": "Financeiro (ERP demo)", "active": true, "link": "$V/launch",
   "icon": "boleto", "title": "Financeiro", "show_in_client_portal": true,
   "show_in_manager_panel": false, "kind": "iframe",
   "iframe_size": {"width": "100%", "height": "720px"}, "visible_to": "cliente",
   "auth": {"type": "token", "token_lifetime_seconds": 300}, "client_data": ["name"]},
  {"id": "financeiro-post", "name": "Financeiro por POST (ERP demo)", "active": true,
   "link": "$V/launch", "icon": "financeiro", "title": "Financeiro (form POST)",
   "show_in_client_portal": true, "show_in_manager_panel": false, "kind": "iframe",
   "iframe_size": {"width": "100%", "height": "720px"}, "visible_to": "cliente",
   "auth": {"type": "token"}, "delivery": "form_post", "client_data": ["name", "units"]},
  {"id": "condominio", "name": "Condomínio (ERP demo)", "active": true, "link": "$V/launch",
   "icon": "predio", "title": "Condomínio", "show_in_client_portal": true,
   "show_in_manager_panel": false, "kind": "iframe",
   "iframe_size": {"width": "100%", "height": "600px"}, "visible_to": "sindico",
   "auth": {"type": "token"}},
  {"id": "relatorios", "name": "Relatórios (ERP demo)", "active": true, "link": "$V/launch",
   "icon": "grafico", "title": "Relatórios", "show_in_client_portal": false,
   "show_in_manager_panel": true, "kind": "iframe",
   "iframe_size": {"width": "960px", "height": "640px"}, "visible_to": "cliente",
   "auth": {"type": "token"}}
]
JSON

# Waits until $1 (a log file) has the line "$2", or fails after 15 s.
wait_for() {
    for _ in $(seq 150); do
        grep -qF "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$1" >&2 || true
    fail "no \"$2\" in $1 after 15 s"
}

"$bin/portal_demo" --addr "127.0.0.1:$portal_port" --public-url "$P" --plugins "$work/plugins.json" \
    --request-log "$work/portal.jsonl" >"$work/portal.out" 2>"$work/portal.err" &
portal_pid=$!
wait_for "$work/portal.out" "portal_demo: serving $P"
grep -q "cargo run --example vendor_demo" "$work/portal.out" || fail "the portal does not say how to start the vendor"

"$bin/vendor_demo" --addr "127.0.0.1:$vendor_port" --public-url "$V" --portal "$P" \
    --plugin financeiro --plugin financeiro-post:form_post --request-log "$work/vendor.jsonl" \
    --test-hooks --session-lifetime 60 >"$work/vendor.out" 2>"$work/vendor.err" &
vendor_pid=$!
wait_for "$work/vendor.out" "vendor_demo: serving $V"
grep -q "WARNING: --test-hooks" "$work/vendor.err" || fail "the vendor does not warn about --test-hooks on stderr"
grep -q "WARNING: --test-hooks" "$work/vendor.out" || fail "the vendor does not warn about --test-hooks on stdout"
say "portal on $P, vendor on $V"

# curl helpers: the body on stdout, the status and headers in files.
get() { # get JAR URL [curl args...]
    local jar=$1 url=$2
    shift 2
    curl -sS -b "$jar" -c "$jar" -D "$work/headers" -o "$work/body" -w '%{http_code}' "$@" "$url" >"$work/status"
}
status() { cat "$work/status"; }
body() { cat "$work/body"; }
header() { # header NAME: every value, one per line
    tr -d '\r' <"$work/headers" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == n { sub(/^[^:]*: /, ""); print }'
}
expect_status() { [ "$(status)" = "$1" ] || fail "$2: status $(status), expected $1: $(body | head -c 400)"; }
expect_body() { body | grep -qF -- "$1" || fail "$2: the body has no $1: $(body | head -c 600)"; }
expect_no_body() { if body | grep -qF -- "$1"; then fail "$2: the body has $1"; fi; }
error_code() { body | sed -n 's:.*<code id="error-code">\([^<]*\)</code>.*:\1:p'; }
meta_session() { body | sed -n 's:.*<meta name="cv-session" content="\([^"]*\)">.*:\1:p'; }
iframe_src() { body | python3 -c '
import html, re, sys
tag = re.search(r"<iframe id=\"plugin-frame\"[^>]*>", sys.stdin.read()).group(0)
print(html.unescape(re.search(r" src=\"([^\"]*)\"", tag).group(1)))'; }
srcdoc_form() { body | python3 -c '
import html, re, sys
tag = re.search(r"<iframe id=\"plugin-frame\"[^>]*>", sys.stdin.read()).group(0)
doc = html.unescape(re.search(r" srcdoc=\"([^\"]*)\"", tag).group(1))
action = html.unescape(re.search(r"action=\"([^\"]*)\"", doc).group(1))
token = html.unescape(re.search(r"name=\"token\" value=\"([^\"]*)\"", doc).group(1))
print(action, token)'; }
login() { # login NAME JAR
    rm -f "$2"
    get "$2" "$P/login?as=$1"
    expect_status 303 "login as $1"
    header set-cookie | grep -q 'portal_login=.*HttpOnly.*SameSite=Lax' || fail "login as $1: no HttpOnly SameSite=Lax cookie"
}
menu() { body | grep -o 'class="plugin-link" data-plugin="[^"]*"' | sed 's/.*data-plugin="//;s/"$//' | tr '\n' ' '; }

# --- The portal's public documents.
get "$work/anon" "$P/.well-known/cv-plugin"
expect_status 200 "discovery"
expect_body "\"issuer\":\"$P\"" "discovery"
get "$work/anon" "$P/.well-known/cv-plugin/jwks.json"
expect_status 200 "JWKS"
expect_body '"kty":"OKP"' "JWKS"
get "$work/anon" "$P/"
for person in ana bruno carla davi; do expect_body "href=\"/login?as=$person\"" "home page"; done
get "$work/anon" "$P/login?as=zeca"
expect_status 400 "an unknown person"

# --- ana, a cliente: the menu, then the query launch.
ana="$work/ana.jar"
login ana "$ana"
get "$ana" "$P/"
[ "$(menu)" = "financeiro financeiro-post " ] || fail "ana's menu is \"$(menu)\", expected financeiro and financeiro-post"
[ "$(header cache-control)" = "no-store" ] || fail "the home page is not no-store"
get "$ana" "$P/plugins/financeiro"
expect_status 200 "ana opens financeiro"
expect_body 'id="plugin-frame"' "the plugin page"
expect_body 'referrerpolicy="no-referrer"' "the plugin page"
expect_body 'sandbox="allow-scripts allow-same-origin allow-forms' "the plugin page"
expect_body '<script src="/assets/cv-plugin-portal.js"></script>' "the plugin page"
header content-security-policy | grep -qF "frame-src $V" || fail "the plugin page's CSP does not allow the vendor frame"
launch=$(iframe_src)
case "$launch" in "$V/launch?token=ey"*) ;; *) fail "the iframe src is not the launch URL: $launch" ;; esac
get "$work/v1" "$launch"
expect_status 200 "the query launch"
expect_body '<h1 id="who" data-subject="48213">Ana Beatriz Souza</h1>' "the boleto page"
expect_body '<table id="boletos">' "the boleto page"
expect_body '<tr class="boleto" data-id="48213-01">' "the boleto page"
expect_body '<script src="/assets/cv-plugin-page.js"></script>' "the boleto page"
header content-security-policy | grep -qxF "frame-ancestors $P" || fail "no 'frame-ancestors $P' on the launch answer: $(header content-security-policy)"
[ "$(header referrer-policy)" = "no-referrer" ] || fail "the launch answer's Referrer-Policy is $(header referrer-policy)"
[ "$(header cache-control)" = "no-store" ] || fail "the launch answer is not no-store"
[ -z "$(header x-frame-options)" ] || fail "the launch answer has X-Frame-Options"
[ -z "$(header location)" ] || fail "the launch answer is a redirect"
session=$(meta_session)
[ -n "$session" ] || fail "no session in the boleto page"
get "$work/v1" "$launch"
expect_status 401 "the same launch again"
[ "$(error_code)" = "replayed" ] || fail "the replayed launch shows $(error_code), expected replayed"
expect_body '<h1 id="error">' "the replayed page"
expect_body '<script src="/assets/strip-token.js"></script>' "the replayed page (removes token from its address)"
expect_no_body 'Ana Beatriz' "the replayed page"
expect_no_body 'class="boleto"' "the replayed page"
say "query launch: 200 with ana's boletos and frame-ancestors $P; replayed: 401"

# --- The session: API, download ticket, e-mail form.
get "$work/v1" "$V/api/boletos" -H "Authorization: Bearer $session"
expect_status 200 "GET /api/boletos with the session"
expect_body '"id":"48213-02"' "GET /api/boletos"
get "$work/v1" "$V/api/boletos"
expect_status 401 "GET /api/boletos without a session"
header www-authenticate | grep -qF 'realm="cv-plugin-session"' || fail "no cv-plugin-session challenge on a 401"
get "$work/v1" "$V/api/boletos/48213-02/ticket" -X POST -H "Authorization: Bearer $session"
expect_status 200 "a download ticket"
pdf_url=$(body | python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')
case "$pdf_url" in "/boletos/48213-02/pdf?ticket=ey"*) ;; *) fail "the ticket URL is $pdf_url" ;; esac
get "$work/v1" "$V$pdf_url"
expect_status 200 "the PDF download"
[ "$(header content-type)" = "application/pdf" ] || fail "the PDF's type is $(header content-type)"
header content-disposition | grep -q '^attachment' || fail "the PDF is not an attachment"
head -c 5 "$work/body" | grep -q '%PDF-' || fail "the PDF does not start with %PDF-"
[ "$(header x-content-type-options)" = "nosniff" ] || fail "the PDF has no X-Content-Type-Options: nosniff"
get "$work/v1" "$V$pdf_url"
expect_status 401 "the same ticket again"
[ "$(error_code)" = "ticket_replayed" ] || fail "the second download shows $(error_code)"
get "$work/v1" "$V/api/boletos/99999-01/ticket" -X POST -H "Authorization: Bearer $session"
expect_status 404 "a ticket for someone else's boleto"
get "$work/v1" "$V/boletos/48213-02/email" -X POST -H "Origin: $V" --data-urlencode "session=$session"
expect_status 200 "the e-mail form"
expect_body '<p id="notice" role="status">2ª via do boleto 48213-02' "the e-mail answer"
expect_body 'enviada por e-mail' "the e-mail answer"
get "$work/v1" "$V/boletos/48213-02/email" -X POST -H "Origin: http://evil.test" --data-urlencode "session=$session"
expect_status 403 "the e-mail form from another origin"
[ "$(error_code)" = "credential_origin_mismatch" ] || fail "a cross-origin form shows $(error_code)"
get "$work/v1" "$V/assets/strip-token.js"
expect_status 200 "the error pages' script"
expect_body 'history.replaceState' "the error pages' script"
get "$work/v1" "$V/boletos"
expect_status 200 "the bounce page"
expect_body 'CvPluginPage.bounce' "the bounce page"
header content-security-policy | grep -q "script-src 'sha256-" || fail "the bounce page's CSP does not pin its inline scripts: $(header content-security-policy)"
say "session: API 200 (401 without), one-time PDF ticket, e-mail form (403 cross-origin), bounce page"

# --- Renewal through the portal: a fresh launch token for the logged-in person, exchanged.
get "$ana" "$P/plugins/financeiro"
csrf=$(body | sed -n 's:.*<meta name="csrf-token" content="\([^"]*\)">.*:\1:p')
get "$ana" "$P/api/plugins/financeiro/launch-token" -X POST
expect_status 403 "a launch token without the CSRF token"
get "$ana" "$P/api/plugins/financeiro/launch-token" -X POST -H "X-CSRF-Token: $csrf"
expect_status 200 "a launch token for the listener"
fresh=$(body | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
get "$work/v1" "$V/cv/exchange" -X POST --data-urlencode "token=$fresh" -H 'Accept: application/json'
expect_status 200 "the exchange"
expect_body '"expires_in":60' "the exchange"
renewed=$(body | python3 -c 'import json, sys; print(json.load(sys.stdin)["session"])')
get "$work/v1" "$V/cv/exchange" -X POST --data-urlencode "token=$fresh"
expect_status 401 "the same exchange again"
expect_body '"error":"replayed"' "the second exchange"
get "$work/anon" "$P/api/plugins/financeiro/launch-token" -X POST -H "X-CSRF-Token: $csrf"
expect_status 401 "a launch token without a login"
get "$work/v1" "$V/__test/clock/advance?secs=61" -X POST
expect_status 204 "the test clock"
get "$work/v1" "$V/api/boletos" -H "Authorization: Bearer $renewed"
expect_status 401 "a session past its lifetime"
header www-authenticate | grep -qF 'error_description="session_expired"' || fail "an expired session reads $(header www-authenticate)"
say "renewal: portal mints for the logged-in person only (CSRF), exchange once, session_expired after the clock moves"

# --- The form POST delivery.
get "$ana" "$P/plugins/financeiro-post"
expect_status 200 "ana opens financeiro-post"
expect_body 'data-delivery="form_post"' "the form-POST plugin page"
header content-security-policy | grep -q "script-src 'self' 'sha256-" || fail "the form-POST page's CSP does not allow its auto-submit"
read -r action token < <(srcdoc_form)
[ "$action" = "$V/launch" ] || fail "the form posts to $action"
get "$work/v2" "$action" -X POST --data-urlencode "token=$token"
expect_status 200 "the form-POST launch"
expect_body '<h1 id="who" data-subject="48213">Ana Beatriz Souza</h1>' "the form-POST launch"
expect_body '<p id="units">Unidades no CV: 1</p>' "the form-POST launch (units granted)"
get "$work/v2" "$action" -X POST --data-urlencode "token=$token"
expect_status 401 "the same form POST again"
[ "$(error_code)" = "replayed" ] || fail "the replayed form POST shows $(error_code)"
say "form-POST launch: 200, then replayed"

# --- Each plugin's one delivery (PROTOCOL.md §5): the other way is wrong_delivery, no data.
get "$ana" "$P/plugins/financeiro-post"
read -r action token < <(srcdoc_form)
get "$work/v2" "$V/launch?token=$token"
expect_status 400 "a form_post plugin's token sent as ?token="
[ "$(error_code)" = "wrong_delivery" ] || fail "a form_post token by query shows $(error_code), expected wrong_delivery"
expect_no_body 'class="boleto"' "a form_post token by query"
expect_no_body 'Unidades' "a form_post token by query"
expect_body '<script src="/assets/strip-token.js"></script>' "the wrong_delivery page"
get "$ana" "$P/plugins/financeiro"
token=$(iframe_src | sed -n 's/.*[?&]token=\([^&]*\).*/\1/p')
[ -n "$token" ] || fail "no token in the financeiro iframe src"
get "$work/v2" "$V/launch" -X POST --data-urlencode "token=$token"
expect_status 400 "a query plugin's token sent as a form POST"
[ "$(error_code)" = "wrong_delivery" ] || fail "a query token by form POST shows $(error_code), expected wrong_delivery"
expect_no_body 'class="boleto"' "a query token by form POST"
say "deliveries: a form_post token by query and a query token by form POST are wrong_delivery (400)"

# --- davi: a cliente without data in CV.
davi="$work/davi.jar"
login davi "$davi"
get "$davi" "$P/plugins/financeiro"
get "$work/v3" "$(iframe_src)"
expect_status 404 "davi's launch"
[ "$(error_code)" = "client_not_found" ] || fail "davi's launch shows $(error_code), expected client_not_found"
expect_no_body 'class="boleto"' "davi's launch"
say "davi: client_not_found (404), no data"

# --- carla (gestora) and bruno (síndico): who sees what.
carla="$work/carla.jar"
login carla "$carla"
get "$carla" "$P/"
[ "$(menu)" = "relatorios " ] || fail "carla's menu is \"$(menu)\", expected the manager panel's relatorios only"
expect_body 'Portal do Gestor' "carla's home page"
get "$carla" "$P/plugins/financeiro"
expect_status 404 "carla opens financeiro"
bruno="$work/bruno.jar"
login bruno "$bruno"
get "$bruno" "$P/"
[ "$(menu)" = "condominio " ] || fail "bruno's menu is \"$(menu)\", expected condominio only"
get "$bruno" "$P/plugins/financeiro"
expect_status 404 "bruno opens financeiro"
get "$bruno" "$P/api/plugins/financeiro/launch-token" -X POST
expect_status 403 "bruno asks a financeiro token without CSRF"
# With his real CSRF token (from a page he may open) he passes the CSRF check and is refused for
# visibility: the mint endpoint's own check, not the CSRF one.
get "$bruno" "$P/plugins/condominio"
expect_status 200 "bruno opens condominio"
bruno_csrf=$(body | sed -n 's:.*<meta name="csrf-token" content="\([^"]*\)">.*:\1:p')
[ -n "$bruno_csrf" ] || fail "no CSRF token on bruno's condominio page"
get "$bruno" "$P/api/plugins/condominio/launch-token" -X POST -H "X-CSRF-Token: $bruno_csrf"
expect_status 200 "bruno asks a condominio token with his CSRF token (control)"
get "$bruno" "$P/api/plugins/financeiro/launch-token" -X POST -H "X-CSRF-Token: $bruno_csrf"
expect_status 404 "bruno asks a financeiro token with his CSRF token"
expect_body '"error":"plugin_not_found"' "bruno asks a financeiro token with his CSRF token"
say "menus: carla sees relatorios only, bruno condominio only (financeiro 404 for both; his financeiro mint: 404 plugin_not_found past the CSRF check)"

# --- The request logs: one JSON object per request, no token in any later URL or Referer.
# First the witness: a request with a known Referer is logged with exactly that Referer (else the
# Referer check below would pass however the logs were written); those entries are the check's own.
self_referer="http://x.test/?token=eyJzZWxmLWNoZWNr.eyJyZWZlcmVyIjoxfQ.c2VsZi1jaGVjaw"
get "$work/v1" "$V/assets/vendor.css?smoke=referer-self-check" -H "Referer: $self_referer"
get "$work/anon" "$P/?smoke=referer-self-check" -H "Referer: $self_referer"
python3 - "$self_referer" "$work/portal.jsonl" "$work/vendor.jsonl" <<'PY' || fail "the request logs"
import json, sys
self_referer = sys.argv[1]
for path, site in zip(sys.argv[2:], ["portal", "vendor"]):
    lines = [json.loads(line) for line in open(path)]
    assert lines, f"{path} is empty"
    own = [e for e in lines if e["target"].endswith("smoke=referer-self-check")]
    assert len(own) == 1 and own[0]["referer"] == self_referer, f"control: {site} did not log the Referer sent: {own}"
    assert "token=" in own[0]["referer"], "control: the check below would not see a token in this Referer"
    for entry in lines:
        assert set(entry) == {"site", "method", "target", "referer", "origin", "cookie", "authorization"}, entry
        assert entry["site"] == site, entry
        if entry is own[0]:
            continue
        assert entry["referer"] is None or "token=" not in entry["referer"], entry
        if site == "vendor" and "token=" in entry["target"]:
            assert entry["target"].startswith("/launch?token="), entry
    print(f"demo-smoke: {path.rsplit('/', 1)[-1]}: {len(lines)} requests logged (Referer self-check seen)")
PY

# --- --test-hooks: refused off loopback; without it the hook route does not exist.
code=0
"$bin/vendor_demo" --addr "0.0.0.0:0" --public-url "$V" --portal "$P" --test-hooks \
    >"$work/hooks.out" 2>"$work/hooks.err" || code=$?
[ "$code" = 2 ] || fail "--test-hooks on 0.0.0.0 exited with $code, expected 2"
grep -q "needs a loopback --addr" "$work/hooks.err" || fail "--test-hooks on 0.0.0.0: $(cat "$work/hooks.err")"
plain_port=$(free_port)
"$bin/vendor_demo" --addr "127.0.0.1:$plain_port" --public-url "http://127.0.0.1:$plain_port" --portal "$P" \
    >"$work/plain.out" 2>"$work/plain.err" &
plain_pid=$!
wait_for "$work/plain.out" "vendor_demo: serving http://127.0.0.1:$plain_port"
if grep -q "WARNING" "$work/plain.out" "$work/plain.err"; then
    kill "$plain_pid" 2>/dev/null || true
    fail "a vendor without --test-hooks warns about them"
fi
plain_status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$plain_port/__test/clock/advance?secs=61")
kill -TERM "$plain_pid"
wait "$plain_pid" || fail "the vendor without --test-hooks did not stop cleanly"
[ "$plain_status" = 404 ] || fail "POST /__test/clock/advance without --test-hooks answered $plain_status, expected 404"
say "--test-hooks: refused on 0.0.0.0 (exit 2); without it POST /__test/clock/advance is 404"

# --- A clean stop on SIGTERM.
for name in vendor portal; do
    pid_var="${name}_pid"
    pid=${!pid_var}
    kill -TERM "$pid"
    code=0
    wait "$pid" || code=$?
    eval "${name}_pid="
    [ "$code" = 0 ] || fail "$name exited with status $code on SIGTERM"
    grep -q "${name}_demo: stopped" "$work/$name.out" || fail "$name did not say it stopped"
done
say "both stopped cleanly on SIGTERM"
say "OK"
