<?php
/**
 * The cases of vectors/client-data.json, in order, against a fresh loopback portal
 * (`cargo run --example portal_loopback`), as conformance/client_data.py does: discovery and
 * keys for the configured issuer, then for each case the token's verification (checks 1-20 at the
 * fixture's `now`), the request exactly as given (built by ClientData::request when the case
 * carries the verified token), the answer (status, headers, body) and the vendor's reading of it.
 * A test harness, not part of the recipe. Called by run_vectors.php --client-data.
 */
declare(strict_types=1);

use CvPlugin\ClientData;
use CvPlugin\ClientDataError;
use CvPlugin\FrozenClock;
use CvPlugin\LaunchTokenError;
use CvPlugin\Verifier;

function client_data_cases(string $file, string $portal, callable $check): string
{
    $vectors = json_decode(file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    $issuer = $vectors['issuer'];
    $origin = parse_url($issuer, PHP_URL_SCHEME) . '://' . parse_url($issuer, PHP_URL_HOST);
    // The fixture's documents name https://portal.test: send those URLs to the loopback portal.
    $get = function (string $url, array $headers) use ($origin, $portal): array {
        if (!str_starts_with($url, "$origin/")) {
            throw new \LogicException("$url is not under the fixture's origin");
        }
        return ClientData::httpGet($portal . substr($url, strlen($origin)), $headers);
    };
    $client = new ClientData($get);
    try {
        $discovery = $client->discovery($issuer);
    } catch (ClientDataError $e) {
        $check(false, "discovery: {$e->getMessage()} (is the portal at $portal running?)");
        return 'client data';
    }
    $check(canonical($discovery) === canonical($vectors['discovery']), 'discovery differs: ' . json_encode($discovery));
    try {
        $client->discovery("$issuer/");
        $check(false, 'discovery for the issuer with a trailing slash accepted');
    } catch (ClientDataError $e) {
        $check($e->reason === 'discovery_issuer_mismatch', "trailing-slash issuer: {$e->getMessage()}");
    }
    [$status, , $body] = $get($discovery['jwks_uri'], ['Accept' => 'application/json']);
    $check($status === 200 && canonical(json_decode($body, true)) === canonical($vectors['jwks']), "JWKS: status $status, $body");
    $keys = $client->keySet($discovery);

    foreach ($vectors['cases'] as $case) {
        $name = $case['name'];
        $expected = $case['expected'];
        $authorization = $case['request']['authorization'] ?? null;
        $claims = null;
        if (isset($case['verify'])) {
            $v = $case['verify'];
            $verifier = new Verifier($keys, $issuer, $v['plugin'], ['EdDSA', 'ES256'], $vectors['leeway'], 4096,
                new FrozenClock($vectors['now']));
            try {
                $claims = $verifier->verify($v['token']);
                $check(isset($v['claims']) && canonical($claims) === canonical($v['claims']),
                    "$name: verified, expected " . ($v['error'] ?? 'its claims'));
            } catch (LaunchTokenError $e) {
                $check($e->reason === ($v['error'] ?? null), "$name: token refused as {$e->reason}, expected " . ($v['error'] ?? 'its claims'));
            }
        }
        $headers = ['Accept' => 'application/json'];
        if ($claims !== null && $authorization === "Bearer {$case['verify']['token']}") {
            [$url, $headers] = ClientData::request($discovery, $claims, $case['verify']['token']);
            $check($url === $discovery['client_data_endpoint'], "$name: request URL $url");
        } elseif ($authorization !== null) {
            $headers['Authorization'] = $authorization;
        }
        try {
            [$status, $answer, $body] = $get($discovery['client_data_endpoint'], $headers);
        } catch (ClientDataError $e) {
            $check(false, "$name: no answer: {$e->getMessage()}");
            continue;
        }
        $check($status === $expected['status'], "$name: status $status, expected {$expected['status']}");
        foreach ($expected['headers'] as $header => $value) {
            $got = $answer[strtolower($header)] ?? null;
            $check($got === $value, "$name: $header: " . var_export($got, true) . ", expected $value");
        }
        foreach (['WWW-Authenticate', 'Retry-After'] as $header) {
            if (!isset($expected['headers'][$header])) {
                $check(!isset($answer[strtolower($header)]), "$name: unexpected $header");
            }
        }
        $json = json_decode($body, true);
        if (array_key_exists('body', $expected)) {
            $check(canonical($json) === canonical($expected['body']), "$name: body $body");
        } else {
            $ok = is_array($json) && array_keys(canonical($json)) === ['error', 'error_description']
                && $json['error'] === $expected['error'] && is_string($json['error_description'])
                && strlen($json['error_description']) <= 256
                && (!isset($case['verify']) || !str_contains($json['error_description'], $case['verify']['token']));
            $check($ok, "$name: error body " . substr($body, 0, 300) . ", expected error {$expected['error']}");
        }
        $vendor = $case['vendor'];
        try {
            $data = ClientData::read($status, $answer['www-authenticate'] ?? null, $body, $claims);
            $check($vendor['outcome'] === 'data' && canonical($data) === canonical($expected['body'] ?? null), "$name: read data " . json_encode($data));
        } catch (ClientDataError $e) {
            $reading = ['error' => $e->reason, 'outcome' => $e->fault, 'server_code' => $e->serverCode];
            $check(canonical($reading) === canonical($vendor), "$name: read as " . json_encode($reading) . ', expected ' . json_encode($vendor));
        }
    }
    return 'client data';
}
