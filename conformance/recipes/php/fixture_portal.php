<?php
/**
 * A stand-in portal for launch_endpoint_smoke.php, under `php -S`: serves the discovery document
 * (issuer = CV_FIXTURE_ISSUER) and the JWKS of vectors/launch-tokens.json. TEST KEYS ONLY.
 */
declare(strict_types=1);

$issuer = getenv('CV_FIXTURE_ISSUER');
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
header('Content-Type: application/json');
if ($path === '/.well-known/cv-plugin') {
    echo json_encode(['issuer' => $issuer, 'protocol_version' => 1,
        'jwks_uri' => "$issuer/.well-known/cv-plugin/jwks.json",
        'client_data_endpoint' => "$issuer/api/cv-plugin/client-data",
        'token_signing_alg_values_supported' => ['EdDSA', 'ES256']], JSON_UNESCAPED_SLASHES);
} elseif ($path === '/.well-known/cv-plugin/jwks.json') {
    $vectors = json_decode(file_get_contents(getenv('CV_FIXTURE_VECTORS')), true);
    echo json_encode($vectors['jwks'], JSON_UNESCAPED_SLASHES);
} else {
    http_response_code(404);
    echo '{"error":"not_found"}';
}
