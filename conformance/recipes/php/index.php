<?php
/**
 * A vendor's launch endpoint in PHP (PROTOCOL.md §5, §6, §8, §11, §12), runnable as is:
 *
 *     CV_ISSUER=https://portal.construtora.com.br CV_PLUGIN=financeiro \
 *     CV_PORTAL_ORIGIN=https://portal.construtora.com.br php -S 127.0.0.1:8080 index.php
 *
 * Configuration (environment), as the onboarding checklist of PROTOCOL.md lists it:
 *   CV_ISSUER         the portal's issuer id; discovery and keys are fetched from it only
 *   CV_PLUGIN         this plugin's id (the tokens' `aud`)
 *   CV_PORTAL_ORIGIN  the portal origin(s) allowed to frame the page, space-separated
 *   CV_DELIVERY       query (default) | form_post | both
 *   CV_ALGORITHMS     EdDSA (default) | ES256 | EdDSA,ES256: the plugin's signing algorithm
 *   CV_LEEWAY         clock leeway in seconds (default 30)
 *   CV_CLIENT_DATA    1: redeem the launch token for the person's data (§11), once per launch
 *   CV_STATE_DIR      where the SQLite database (single use, sessions) and the key cache live
 *
 * Routes: the launch (GET ?token= or POST token=, any path), POST /cv/exchange (§13.3). Every
 * answer carries Content-Security-Policy: frame-ancestors, Referrer-Policy: no-referrer and
 * Cache-Control: no-store; a refused token gets 401 (503 when the fault is ours) and no session.
 */
declare(strict_types=1);

require __DIR__ . '/src/bootstrap.php';

use CvPlugin\ClientData;
use CvPlugin\ClientDataError;
use CvPlugin\KeySet;
use CvPlugin\LaunchTokenError;
use CvPlugin\ReplayStore;
use CvPlugin\Verifier;

const KEYS_REFRESH = 300;      // §7: 5 minutes without a max-age
const KEYS_RETRY = 30;         // at most one refetch per 30 s for an unknown kid
const KEYS_MAX_STALE = 3600;   // keep the last good set for at most an hour
const SESSION_IDLE = 900;

function env(string $name, ?string $default = null): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        if ($default === null) {
            http_response_code(500);
            error_log("cv-plugin: $name is not set");
            exit("misconfigured\n");
        }
        return $default;
    }
    return $value;
}

$issuer = env('CV_ISSUER');
$plugin = env('CV_PLUGIN');
$origins = preg_split('/\s+/', trim(env('CV_PORTAL_ORIGIN', '')), -1, PREG_SPLIT_NO_EMPTY);
$delivery = env('CV_DELIVERY', 'query');
$algorithms = explode(',', env('CV_ALGORITHMS', 'EdDSA'));
$leeway = (int) env('CV_LEEWAY', '30');
$state = env('CV_STATE_DIR', sys_get_temp_dir() . '/cv-plugin-vendor-' . md5("$issuer $plugin"));
@mkdir($state, 0700, true);

// Page headers of §12, on every answer, refusals included. No X-Frame-Options, no cookie.
header('Content-Security-Policy: frame-ancestors ' . ($origins === [] ? "'none'" : implode(' ', $origins)));
header('Referrer-Policy: no-referrer');
header('Cache-Control: no-store');

function page(int $status, string $title, string $body): never
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    echo "<!doctype html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>" . htmlspecialchars($title)
        . "</title></head>\n<body>$body</body></html>\n";
    exit;
}

function json_answer(int $status, array $body): never
{
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
    exit;
}

/**
 * The portal's keys, cached in a file: PHP keeps nothing between requests. Refreshed when older
 * than KEYS_REFRESH and, for an unknown kid, at most every KEYS_RETRY seconds. (A cron job can
 * keep the file fresh so that no request waits for the portal.)
 */
function key_set(string $issuer, string $state, ?string $unknownKid = null): KeySet
{
    $file = "$state/keys.json";
    $cache = is_file($file) ? json_decode((string) file_get_contents($file), true) : null;
    $now = time();
    $fresh = is_array($cache) && $now - $cache['fetched_at'] < KEYS_REFRESH;
    $mayRetry = !is_array($cache) || $now - $cache['attempted_at'] >= KEYS_RETRY;
    if (($fresh && $unknownKid === null) || (!$mayRetry && is_array($cache) && $cache['jwks'] !== null)) {
        if ($now - $cache['fetched_at'] <= KEYS_MAX_STALE) {
            return KeySet::fromJwks($cache['jwks']);
        }
    }
    if (!$mayRetry) {
        throw new LaunchTokenError('keys_unavailable', 'the last fetch failed');
    }
    $client = new ClientData([ClientData::class, 'httpGet']);
    try {
        $discovery = $client->discovery($issuer);
        [$status, , $jwks] = ClientData::httpGet($discovery['jwks_uri'], ['Accept' => 'application/json']);
        if ($status !== 200 || strlen($jwks) > ClientData::MAX_BODY) {
            throw new \UnexpectedValueException("JWKS status $status");
        }
        $keys = KeySet::fromJwks($jwks);
        $cache = ['fetched_at' => $now, 'attempted_at' => $now, 'jwks' => $jwks, 'discovery' => $discovery];
        write_cache($file, $cache);
        return $keys;
    } catch (ClientDataError | \UnexpectedValueException | LaunchTokenError $e) {
        error_log('cv-plugin: key fetch failed: ' . $e->getMessage());
        $cache = is_array($cache) ? $cache : ['fetched_at' => 0, 'jwks' => null, 'discovery' => null];
        $cache['attempted_at'] = $now;
        write_cache($file, $cache);
        if ($cache['jwks'] !== null && $now - $cache['fetched_at'] <= KEYS_MAX_STALE) {
            return KeySet::fromJwks($cache['jwks']);
        }
        throw new LaunchTokenError('keys_unavailable', $e->getMessage());
    }
}

/** Replaces the key cache atomically: a temporary file of this worker's own, then a rename. */
function write_cache(string $file, array $cache): void
{
    $tmp = tempnam(dirname($file), 'keys.json.');
    if ($tmp === false) {
        return; // no cache this time; the next request fetches again
    }
    file_put_contents($tmp, json_encode($cache, JSON_UNESCAPED_SLASHES));
    if (!rename($tmp, $file)) {
        @unlink($tmp);
    }
}

/** Whether the last fetch of the keys failed (attempted after the last good fetch). */
function last_fetch_failed(string $state): bool
{
    $cache = json_decode((string) @file_get_contents("$state/keys.json"), true);
    return !is_array($cache) || $cache['attempted_at'] > $cache['fetched_at'];
}

/**
 * Verifies a launch token, single use included; an unknown kid triggers one key refresh, and is
 * `keys_unavailable` when the last fetch failed (§6: the portal may have rotated to that key).
 */
function verify_launch(string $token, string $issuer, string $plugin, array $algorithms, int $leeway, string $state): array
{
    $replay = new ReplayStore("$state/vendor.sqlite");
    $verifier = fn (KeySet $keys) => new Verifier($keys, $issuer, $plugin, $algorithms, $leeway, 4096, replay: $replay);
    try {
        return $verifier(key_set($issuer, $state))->verifyLaunch($token);
    } catch (LaunchTokenError $e) {
        if ($e->reason !== 'unknown_kid') {
            throw $e;
        }
        // The portal may have rotated to a key we do not have yet (§7).
        try {
            return $verifier(key_set($issuer, $state, 'unknown'))->verifyLaunch($token);
        } catch (LaunchTokenError $again) {
            if ($again->reason === 'unknown_kid' && last_fetch_failed($state)) {
                throw new LaunchTokenError('keys_unavailable', 'unknown kid and the last key fetch failed');
            }
            throw $again;
        }
    }
}

/** The vendor's own session (§12): an opaque id in SQLite, idle 15 minutes, capped at 8 hours. */
function mint_session(array $claims, string $state): string
{
    $db = new \PDO("sqlite:$state/vendor.sqlite", null, null, [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
    $db->exec('PRAGMA busy_timeout = 500');
    $db->exec('CREATE TABLE IF NOT EXISTS cv_session (sid TEXT PRIMARY KEY, sub TEXT NOT NULL, role TEXT NOT NULL,
        aud TEXT NOT NULL, lid TEXT NOT NULL, expires_at INTEGER NOT NULL, cap_at INTEGER NOT NULL)');
    $sid = rtrim(strtr(base64_encode(random_bytes(16)), '+/', '-_'), '=');
    $db->prepare('INSERT INTO cv_session VALUES (?, ?, ?, ?, ?, ?, ?)')->execute([$sid, $claims['sub'], $claims['role'],
        $claims['aud'], $claims['jti'], time() + SESSION_IDLE, $claims['iat'] + 8 * 3600]);
    return $sid;
}

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$exchange = $path === '/cv/exchange';
if ($exchange) {
    $token = $method === 'POST' ? ($_POST['token'] ?? null) : null;
} elseif ($method === 'POST') {
    $token = in_array($delivery, ['form_post', 'both'], true) ? ($_POST['token'] ?? null) : null;
} elseif ($method === 'GET') {
    $token = in_array($delivery, ['query', 'both'], true) ? ($_GET['token'] ?? null) : null;
} elseif ($method === 'HEAD') {
    // A link preview or a proxy's HEAD must not spend the launch: answered without verifying.
    header('Allow: GET, POST');
    http_response_code(405);
    exit;
} else {
    header('Allow: GET, POST');
    page(405, 'Método não permitido', '<p>Método não permitido.</p>');
}
if (!is_string($token) || $token === '') {
    if ($exchange) {
        json_answer(400, ['error' => 'missing_token']);
    }
    page(400, 'Abra pelo portal', '<p>Abra o plugin novamente pelo portal.</p>');
}

try {
    $claims = verify_launch($token, $issuer, $plugin, $algorithms, $leeway, $state);
} catch (LaunchTokenError $e) {
    error_log("cv-plugin: launch refused: {$e->reason}"); // the code, never the token
    if ($exchange) {
        json_answer($e->httpStatus(), ['error' => $e->reason]);
    }
    if ($e->httpStatus() === 401) {
        page(401, 'Link expirado', '<p>Este link expirou. Abra o plugin novamente pelo portal.</p>');
    }
    header('Retry-After: 5');
    page(503, 'Indisponível', '<p>Serviço indisponível. Tente novamente em instantes.</p>');
}

$data = null;
if (env('CV_CLIENT_DATA', '0') === '1') {
    // Once per launch: the portal redeems each token once (§11). The discovery document was
    // cached with the keys.
    $cache = json_decode((string) file_get_contents("$state/keys.json"), true);
    try {
        $data = (new ClientData([ClientData::class, 'httpGet']))->fetch($cache['discovery'], $claims, $token);
    } catch (ClientDataError $e) {
        error_log("cv-plugin: no client data: {$e->reason}");
    }
}

try {
    $session = mint_session($claims, $state);
} catch (\PDOException $e) {
    error_log('cv-plugin: session store: ' . $e->getMessage());
    header('Retry-After: 5');
    page(503, 'Indisponível', '<p>Serviço indisponível. Tente novamente em instantes.</p>');
}
if ($exchange) {
    json_answer(200, ['session' => $session, 'expires_in' => SESSION_IDLE]);
}
$who = htmlspecialchars((string) ($data['name'] ?? $claims['sub']));
page(200, 'Plugin', <<<HTML
<meta name="cv-session" content="$session">
<h1>Olá, $who</h1>
<p>Perfil: {$claims['role']}</p>
<script>
  // Remove the token from the address bar and later Referer headers (§5).
  const url = new URL(location.href);
  if (url.searchParams.has("token")) { url.searchParams.delete("token"); history.replaceState(null, "", url); }
</script>
HTML);
