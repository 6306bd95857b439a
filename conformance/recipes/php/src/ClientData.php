<?php
declare(strict_types=1);

namespace CvPlugin;

/**
 * Why there is no client data. `$reason` is the recipe's code (the same as cv-portal-plugin's
 * ClientDataError::code), `$fault` what it means for the vendor (no_data, token, access,
 * unavailable, protocol), `$serverCode` the portal's own code when it sent one.
 */
final class ClientDataError extends \RuntimeException
{
    public function __construct(
        public readonly string $reason,
        public readonly string $fault = 'protocol',
        public readonly ?string $serverCode = null,
        string $detail = '',
    ) {
        parent::__construct("$reason ($fault, portal: " . ($serverCode ?? '-') . ')' . ($detail === '' ? '' : ": $detail"));
    }
}

/**
 * The vendor's side of PROTOCOL.md §10-11: discovery for the configured issuer, then one
 * redemption of a verified launch token at the portal's client-data endpoint, read as §11's
 * "vendor's view" table says. The transport is a callable
 * `fn(string $url, array $headers): array{int, array<string,string>, string}` (status, headers
 * with lower-case names, at most MAX_BODY + 1 bytes of body) that never follows redirects;
 * `ClientData::httpGet` is one over PHP's own streams.
 */
final class ClientData
{
    public const MAX_BODY = 65536;
    private const ROLES = ['cliente', 'sindico', 'gestor'];

    /** @var callable */
    private $get;

    public function __construct(callable $get)
    {
        $this->get = $get;
    }

    /**
     * A GET without redirects that reads at most MAX_BODY + 1 bytes. PHP's http stream wrapper
     * needs `follow_location => 0` and `ignore_errors => true` (else a 4xx is a warning and no body).
     * Production code should also refuse to connect to private addresses for an https issuer (§11).
     */
    public static function httpGet(string $url, array $headers, float $timeout = 10.0): array
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = "$name: $value";
        }
        $context = stream_context_create(['http' => [
            'method' => 'GET', 'header' => implode("\r\n", $lines), 'follow_location' => 0,
            'max_redirects' => 1, 'ignore_errors' => true, 'timeout' => $timeout, 'protocol_version' => 1.1,
        ], 'https' => []]);
        $stream = @fopen($url, 'rb', false, $context);
        if ($stream === false) {
            throw new ClientDataError('data_transport', 'unavailable', null, "no answer from $url");
        }
        $body = stream_get_contents($stream, self::MAX_BODY + 1);
        $meta = stream_get_meta_data($stream);
        fclose($stream);
        $status = 0;
        $answer = [];
        foreach ($meta['wrapper_data'] ?? [] as $line) {
            if (preg_match('#\AHTTP/\S+ (\d{3})#', $line, $m) === 1) {
                $status = (int) $m[1];
                $answer = [];
            } elseif (str_contains($line, ':')) {
                [$name, $value] = explode(':', $line, 2);
                $answer[strtolower(trim($name))] = trim($value);
            }
        }
        return [$status, $answer, $body === false ? '' : $body];
    }

    /** Discovery for `$issuer`, the one you were configured with, checked in §11's order. */
    public function discovery(string $issuer): array
    {
        self::checkUrl($issuer, 'issuer');
        if (parse_url($issuer, PHP_URL_QUERY) !== null) {
            throw new ClientDataError('data_url_invalid', detail: 'an issuer with a query');
        }
        $url = (str_ends_with($issuer, '/') ? substr($issuer, 0, -1) : $issuer) . '/.well-known/cv-plugin';
        [$status, , $body] = ($this->get)($url, ['Accept' => 'application/json']);
        if ($status !== 200) {
            throw new ClientDataError('discovery_http_status', detail: (string) $status);
        }
        if (strlen($body) > self::MAX_BODY) {
            throw new ClientDataError('discovery_too_large');
        }
        $document = self::jsonObject($body, 'discovery_invalid');
        $version = $document['protocol_version'] ?? null;
        if (!is_int($version)) {
            throw new ClientDataError('discovery_invalid', detail: 'protocol_version');
        }
        if ($version !== 1) {
            throw new ClientDataError('discovery_unsupported_version', detail: (string) $version);
        }
        if (($document['issuer'] ?? null) !== $issuer) {
            throw new ClientDataError('discovery_issuer_mismatch');
        }
        $algs = $document['token_signing_alg_values_supported'] ?? null;
        if (!is_string($document['jwks_uri'] ?? null) || !is_string($document['client_data_endpoint'] ?? null)
            || !is_array($algs) || !array_is_list($algs) || array_filter($algs, 'is_string') !== $algs) {
            throw new ClientDataError('discovery_invalid', detail: 'a member is missing or of the wrong type');
        }
        foreach (['jwks_uri', 'client_data_endpoint'] as $role) {
            self::checkUrl($document[$role], $role);
            if (stripos($issuer, 'https://') === 0 && stripos($document[$role], 'https://') !== 0) {
                throw new ClientDataError('data_url_not_https', detail: "$role of an https portal");
            }
        }
        return $document;
    }

    /** The portal's JWKS, from the discovery document's jwks_uri (64 KiB at most, no redirects). */
    public function keySet(array $discovery): KeySet
    {
        [$status, , $body] = ($this->get)($discovery['jwks_uri'], ['Accept' => 'application/json']);
        if ($status !== 200 || strlen($body) > self::MAX_BODY) {
            throw new LaunchTokenError('keys_unavailable', "JWKS: status $status");
        }
        try {
            return KeySet::fromJwks($body);
        } catch (\UnexpectedValueException $e) {
            throw new LaunchTokenError('keys_unavailable', $e->getMessage());
        }
    }

    /**
     * Redeems `$token` (already verified: `$claims`) once: the data, or ClientDataError.
     * A 503 may be retried once after Retry-After with the same token (§11).
     */
    public function fetch(array $discovery, array $claims, string $token): array
    {
        [$url, $headers] = self::request($discovery, $claims, $token);
        [$status, $answer, $body] = ($this->get)($url, $headers);
        return self::read($status, $answer['www-authenticate'] ?? null, $body, $claims);
    }

    /** The request that redeems `$token` at the portal that issued it, only there (§11). */
    public static function request(array $discovery, array $claims, string $token): array
    {
        if ($claims['iss'] !== $discovery['issuer']) {
            throw new ClientDataError('discovery_issuer_mismatch', detail: "the token is another portal's");
        }
        if (strlen($token) > 4096 || preg_match('#\A[A-Za-z0-9._~+/-]+=*\z#', $token) !== 1) {
            throw new ClientDataError('bearer_token_invalid');
        }
        return [$discovery['client_data_endpoint'], ['Authorization' => "Bearer $token", 'Accept' => 'application/json']];
    }

    /** The answer as §11's "vendor's view" reads it. With `$claims`, the data must be that launch's. */
    public static function read(int $status, ?string $wwwAuthenticate, string $body, ?array $claims = null): array
    {
        if (!in_array($status, [200, 400, 401, 403, 404, 503], true)) {
            throw new ClientDataError('data_unexpected_status', detail: (string) $status);
        }
        if ($status === 200) {
            if (strlen($body) > self::MAX_BODY) {
                throw new ClientDataError('data_answer_too_large');
            }
            $data = self::jsonObject($body, 'data_answer_invalid');
            $ok = is_string($data['sub'] ?? null) && is_string($data['plugin'] ?? null)
                && in_array($data['role'] ?? null, self::ROLES, true);
            foreach (['name', 'email', 'phone'] as $field) {
                $ok = $ok && (!array_key_exists($field, $data) || is_string($data[$field]));
            }
            $ok = $ok && (!array_key_exists('document', $data) || self::validTaxDocument($data['document']));
            $ok = $ok && (!array_key_exists('units', $data) || self::validUnits($data['units']));
            if (!$ok) {
                throw new ClientDataError('data_answer_invalid');
            }
            if ($claims !== null) {
                foreach (['sub' => 'sub', 'role' => 'role', 'plugin' => 'aud'] as $member => $claim) {
                    if ($data[$member] !== $claims[$claim]) {
                        throw new ClientDataError('data_not_for_this_launch', detail: $member);
                    }
                }
            }
            return $data;
        }
        if ($status === 404) { // "no data" only when the body says so, not a wrong URL's 404
            if (self::bodyCode($body) === 'client_not_found') {
                throw new ClientDataError('data_client_not_found', 'no_data', 'client_not_found');
            }
            throw new ClientDataError('data_endpoint_not_found');
        }
        $code = self::serverCode($body, $wwwAuthenticate);
        throw match ($status) {
            401 => new ClientDataError('data_token_refused', $code === 'missing_token' ? 'protocol' : 'token', $code),
            403 => new ClientDataError('data_access_denied', 'access', $code),
            400 => new ClientDataError('data_request_refused', 'protocol', $code),
            default => new ClientDataError('data_portal_unavailable', 'unavailable', $code), // 503
        };
    }

    /** https, or http on a loopback host; printable ASCII; no userinfo or fragment. */
    private static function checkUrl(mixed $url, string $role): void
    {
        if (!is_string($url) || preg_match('/\A[\x21-\x7e]{1,2048}\z/', $url) !== 1) {
            throw new ClientDataError('data_url_invalid', detail: $role);
        }
        $parts = parse_url($url);
        $scheme = strtolower($parts['scheme'] ?? '');
        if ($parts === false || !in_array($scheme, ['https', 'http'], true) || ($parts['host'] ?? '') === '') {
            throw new ClientDataError('data_url_invalid', detail: $role);
        }
        if (isset($parts['user']) || isset($parts['pass']) || str_contains($url, '#')) {
            throw new ClientDataError('data_url_invalid', detail: "$role: userinfo or fragment");
        }
        if ($scheme === 'http' && preg_match('/\A(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])\z/i', $parts['host']) !== 1) {
            throw new ClientDataError('data_url_not_https', detail: $role);
        }
    }

    /** A JSON object without repeated member names at any depth (json_decode alone hides them). */
    private static function jsonObject(string $body, string $code): array
    {
        try {
            $parsed = StrictJson::object($body);
        } catch (\InvalidArgumentException $e) {
            throw new ClientDataError($code, detail: $e->getMessage());
        }
        if ($parsed['duplicate']) {
            throw new ClientDataError($code, detail: 'a repeated member');
        }
        return $parsed['value'];
    }

    private static function bodyCode(string $body): mixed
    {
        if (strlen($body) > self::MAX_BODY) {
            return null;
        }
        $value = json_decode($body, true);
        return is_array($value) && !array_is_list($value) ? ($value['error'] ?? null) : null;
    }

    /** The body's `error`, else the challenge's `error_description`, else its `error`. */
    private static function serverCode(string $body, ?string $wwwAuthenticate): ?string
    {
        $candidates = [self::bodyCode($body)];
        if ($wwwAuthenticate !== null && preg_match('/\A\s*Bearer\s+(.*)\z/is', $wwwAuthenticate, $m) === 1) {
            preg_match_all('/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\s,"]+))/', $m[1], $params, PREG_SET_ORDER | PREG_UNMATCHED_AS_NULL);
            $found = [];
            foreach ($params as $p) {
                $found[strtolower($p[1])] ??= $p[2] ?? $p[3];
            }
            $candidates[] = $found['error_description'] ?? null;
            $candidates[] = $found['error'] ?? null;
        }
        foreach ($candidates as $c) {
            if (is_string($c) && preg_match('/\A[a-z][a-z0-9_]{0,63}\z/', $c) === 1) {
                return $c;
            }
        }
        return null;
    }

    /** {"type": "cpf" | "cnpj", "number": ...} in normal form with valid check digits. */
    private static function validTaxDocument(mixed $document): bool
    {
        if (!is_array($document) || array_diff(array_keys($document), ['type', 'number']) !== []
            || !is_string($document['number'] ?? null)) {
            return false;
        }
        $number = $document['number'];
        if (count(array_unique(str_split($number))) < 2) {
            return false;
        }
        if (($document['type'] ?? null) === 'cpf' && preg_match('/\A\d{11}\z/', $number) === 1) {
            $d = array_map('intval', str_split($number));
            $digit = function (int $n) use ($d): int {
                $sum = 0;
                for ($i = 0; $i < $n; $i++) {
                    $sum += $d[$i] * ($n + 1 - $i);
                }
                return $sum * 10 % 11 % 10;
            };
            return $digit(9) === $d[9] && $digit(10) === $d[10];
        }
        if (($document['type'] ?? null) === 'cnpj' && preg_match('/\A[0-9A-Z]{12}\d{2}\z/', $number) === 1) {
            $v = array_map(fn (string $c): int => ord($c) - 48, str_split($number));
            $digit = function (int $n) use ($v): int {
                $sum = 0;
                for ($i = 0; $i < $n; $i++) {
                    $sum += $v[$n - 1 - $i] * (2 + $i % 8);
                }
                $r = $sum % 11;
                return $r < 2 ? 0 : 11 - $r;
            };
            return $digit(12) === $v[12] && $digit(13) === $v[13];
        }
        return false;
    }

    private static function validUnits(mixed $units): bool
    {
        if (!is_array($units) || !array_is_list($units)) {
            return false;
        }
        foreach ($units as $u) {
            if (!is_array($u) || !is_string($u['empreendimento'] ?? null) || !is_string($u['unidade'] ?? null)) {
                return false;
            }
            foreach (['bloco', 'contract_id'] as $optional) {
                if (array_key_exists($optional, $u) && !is_string($u[$optional])) {
                    return false;
                }
            }
        }
        return true;
    }
}
