<?php
/**
 * A deliberately LAX vendor, for `.ci/vendor-check.sh` only: the recipe's endpoint (index.php)
 * plus the classic php-jwt < 6 mistake, `JWT::decode($jwt, $pem)` with the algorithm taken from
 * the header, so that an `HS256` token is checked as an HMAC keyed with the portal's public key
 * as a PEM SubjectPublicKeyInfo file. Anyone can forge its tokens. `cvplugin vendor-check` must
 * fail it on exactly `hs256_keyed_with_the_pem` (review of issue 15, H1). Never deploy this.
 */
declare(strict_types=1);

$token = $_GET['token'] ?? $_POST['token'] ?? null;
if (is_string($token) && substr_count($token, '.') === 2) {
    [$h, $c, $s] = explode('.', $token);
    $b64 = fn (string $text): string => (string) base64_decode(strtr($text, '-_', '+/'));
    $header = json_decode($b64($h), true);
    if (is_array($header) && ($header['alg'] ?? null) === 'HS256') {
        $issuer = (string) getenv('CV_ISSUER');
        $discovery = json_decode((string) file_get_contents("$issuer/.well-known/cv-plugin"), true);
        $jwks = json_decode((string) file_get_contents($discovery['jwks_uri']), true);
        foreach ($jwks['keys'] as $k) {
            // The PEM a vendor saved from the portal's key: SPKI DER, base64 in lines of 64.
            $der = ($k['kty'] ?? '') === 'EC'
                ? hex2bin('3059301306072a8648ce3d020106082a8648ce3d030107034200') . "\x04" . $b64($k['x']) . $b64($k['y'])
                : hex2bin('302a300506032b6570032100') . $b64($k['x']);
            $pem = "-----BEGIN PUBLIC KEY-----\n" . chunk_split(base64_encode($der), 64, "\n") . "-----END PUBLIC KEY-----\n";
            $mac = rtrim(strtr(base64_encode(hash_hmac('sha256', "$h.$c", $pem, true)), '+/', '-_'), '=');
            if (hash_equals($mac, $s)) {
                header('Content-Security-Policy: frame-ancestors ' . getenv('CV_PORTAL_ORIGIN'));
                header('Referrer-Policy: no-referrer');
                header('Cache-Control: no-store');
                echo "<!doctype html><p>Olá (accepted an HS256 token keyed with the PEM)</p>";
                exit;
            }
        }
    }
}
require __DIR__ . '/index.php';
