<?php
/**
 * index.php under `php -S`, launched for real: a stand-in portal (fixture_portal.php) serves
 * discovery and the vectors' JWKS, tokens are minted here with the vectors' TEST keys at the
 * current time, and the launch endpoint must answer as PROTOCOL.md §5, §8 and §12 say.
 *
 *     php launch_endpoint_smoke.php ../../../vectors/launch-tokens.json
 */
declare(strict_types=1);

require __DIR__ . '/src/bootstrap.php';

use CvPlugin\Base64Url;

$vectorsFile = realpath($argv[1] ?? '') ?: exit("usage: launch_endpoint_smoke.php launch-tokens.json\n");
$vectors = json_decode(file_get_contents($vectorsFile), true);

function free_port(): int
{
    $server = stream_socket_server('tcp://127.0.0.1:0');
    $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
    fclose($server);
    return $port;
}

$children = [];
function serve(string $script, int $port, array $env): void
{
    global $children;
    $children[] = proc_open([PHP_BINARY, '-S', "127.0.0.1:$port", $script], [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'],
        2 => ['file', '/dev/null', 'w']], $pipes, __DIR__, $env + getenv());
    for ($i = 0; $i < 100; $i++) {
        if (@fsockopen('127.0.0.1', $port) !== false) {
            return;
        }
        usleep(50000);
    }
    throw new RuntimeException("no server on port $port");
}
register_shutdown_function(function () use (&$children): void {
    foreach ($children as $child) {
        proc_terminate($child);
        proc_close($child);
    }
});

/** A launch token as the portal mints it (§2-4), EdDSA with the vectors' TEST key. */
function mint(array $vectors, string $issuer, string $plugin, array $override = []): string
{
    $jwk = $vectors['test_private_keys'][0];
    $now = time();
    $header = ['alg' => 'EdDSA', 'typ' => 'cv-plugin-launch+jwt', 'kid' => $jwk['kid']];
    $claims = $override + ['iss' => $issuer, 'aud' => $plugin, 'sub' => '48213', 'role' => 'cliente',
        'iat' => $now, 'nbf' => $now, 'exp' => $now + 300, 'jti' => Base64Url::encode(random_bytes(16))];
    $input = Base64Url::encode(json_encode($header, JSON_UNESCAPED_SLASHES)) . '.' . Base64Url::encode(json_encode($claims, JSON_UNESCAPED_SLASHES));
    $secret = sodium_crypto_sign_secretkey(sodium_crypto_sign_seed_keypair(Base64Url::decode($jwk['d'])));
    return $input . '.' . Base64Url::encode(sodium_crypto_sign_detached($input, $secret));
}

/** @return array{int, array<string, list<string>>, string} */
function request(string $url, string $method = 'GET', ?string $form = null): array
{
    $options = ['method' => $method, 'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 10];
    if ($form !== null) {
        $options['header'] = 'Content-Type: application/x-www-form-urlencoded';
        $options['content'] = $form;
    }
    $body = file_get_contents($url, false, stream_context_create(['http' => $options]));
    $headers = [];
    $status = 0;
    foreach ($http_response_header as $line) {
        if (preg_match('#\AHTTP/\S+ (\d{3})#', $line, $m) === 1) {
            $status = (int) $m[1];
        } elseif (str_contains($line, ':')) {
            [$name, $value] = explode(':', $line, 2);
            $headers[strtolower($name)][] = trim($value);
        }
    }
    return [$status, $headers, (string) $body];
}

$portalPort = free_port();
$issuer = "http://127.0.0.1:$portalPort";
$origin = 'https://portal.test';
serve('fixture_portal.php', $portalPort, ['CV_FIXTURE_ISSUER' => $issuer, 'CV_FIXTURE_VECTORS' => $vectorsFile]);

$passed = 0;
$failures = [];
$check = function (bool $ok, string $message) use (&$passed, &$failures): void {
    $ok ? $passed++ : $failures[] = $message;
};
$pageHeaders = function (string $name, array $headers) use ($check, $origin): void {
    $check(($headers['content-security-policy'] ?? []) === ["frame-ancestors $origin"], "$name: CSP " . json_encode($headers['content-security-policy'] ?? null));
    $check(($headers['referrer-policy'] ?? []) === ['no-referrer'], "$name: Referrer-Policy");
    $check(($headers['cache-control'] ?? []) === ['no-store'], "$name: Cache-Control");
    $check(!isset($headers['set-cookie']) && !isset($headers['x-frame-options']), "$name: a cookie or X-Frame-Options");
};

foreach (['query', 'form_post'] as $delivery) {
    $port = free_port();
    $state = sys_get_temp_dir() . '/cv-smoke-' . bin2hex(random_bytes(6));
    serve('index.php', $port, ['CV_ISSUER' => $issuer, 'CV_PLUGIN' => 'financeiro', 'CV_PORTAL_ORIGIN' => $origin,
        'CV_DELIVERY' => $delivery, 'CV_STATE_DIR' => $state]);
    $vendor = "http://127.0.0.1:$port/portal/financeiro?empresa=7";
    $launch = fn (string $token) => $delivery === 'query'
        ? request("$vendor&token=" . urlencode($token))
        : request($vendor, 'POST', 'token=' . urlencode($token));
    $token = mint($vectors, $issuer, 'financeiro');

    [$status, $headers, $body] = $launch($token);
    $check($status === 200 && str_contains($body, 'name="cv-session"'), "$delivery valid launch: $status");
    $pageHeaders("$delivery valid launch", $headers);
    [$status, $headers, $body] = $launch($token);
    $check($status === 401 && !str_contains($body, 'cv-session'), "$delivery replayed launch: $status");
    $pageHeaders("$delivery replayed launch", $headers);
    $other = mint($vectors, $issuer, 'financeiro');
    $hostile = [
        'wrong aud' => mint($vectors, $issuer, 'boletos'),
        'wrong iss' => mint($vectors, 'https://evil.test', 'financeiro'),
        'expired' => mint($vectors, $issuer, 'financeiro', ['iat' => time() - 700, 'nbf' => time() - 700, 'exp' => time() - 400]),
        'tampered' => substr($other, 0, -2) . (str_ends_with($other, 'AA') ? 'AB' : 'AA'),
        'alg none' => Base64Url::encode('{"alg":"none","typ":"cv-plugin-launch+jwt"}') . '.' . explode('.', $other)[1] . '.',
        'header typ JWT' => Base64Url::encode('{"alg":"EdDSA","typ":"JWT","kid":"' . $vectors['jwks']['keys'][0]['kid'] . '"}') . '.' . explode('.', $other)[1] . '.' . explode('.', $other)[2],
    ];
    foreach ($hostile as $name => $bad) {
        [$status, $headers, $body] = $launch($bad);
        $check($status === 401 && !str_contains($body, 'cv-session'), "$delivery $name: $status");
        $pageHeaders("$delivery $name", $headers);
    }
    // The other delivery is not accepted: no session.
    $other = $delivery === 'query' ? request($vendor, 'POST', 'token=' . urlencode(mint($vectors, $issuer, 'financeiro')))
        : request("$vendor&token=" . urlencode(mint($vectors, $issuer, 'financeiro')));
    $check($other[0] === 400 && !str_contains($other[2], 'cv-session'), "$delivery: the other delivery answered {$other[0]}");
    // §13.3: the exchange endpoint, single use too.
    $fresh = mint($vectors, $issuer, 'financeiro');
    [$status, $headers, $body] = request("http://127.0.0.1:$port/cv/exchange", 'POST', 'token=' . urlencode($fresh));
    $answer = json_decode($body, true);
    $check($status === 200 && is_string($answer['session'] ?? null) && ($answer['expires_in'] ?? null) === 900, "$delivery exchange: $status $body");
    [$status, , $body] = request("http://127.0.0.1:$port/cv/exchange", 'POST', 'token=' . urlencode($fresh));
    $check($status === 401 && json_decode($body, true) === ['error' => 'replayed'], "$delivery exchange replayed: $status $body");
}

// A plugin pinned to ES256 refuses an EdDSA token, even though the portal publishes the key.
$port = free_port();
serve('index.php', $port, ['CV_ISSUER' => $issuer, 'CV_PLUGIN' => 'financeiro', 'CV_PORTAL_ORIGIN' => $origin,
    'CV_ALGORITHMS' => 'ES256', 'CV_STATE_DIR' => sys_get_temp_dir() . '/cv-smoke-' . bin2hex(random_bytes(6))]);
[$status, , $body] = request("http://127.0.0.1:$port/cv/exchange", 'POST', 'token=' . urlencode(mint($vectors, $issuer, 'financeiro')));
$check($status === 401 && json_decode($body, true) === ['error' => 'unsupported_alg'], "ES256-pinned plugin, EdDSA token: $status $body");

foreach ($failures as $message) {
    echo "FAIL $message\n";
}
printf("launch endpoint, PHP (index.php under php -S): %d passed, %d failed\n", $passed, count($failures));
exit($failures === [] ? 0 : 1);
