<?php
declare(strict_types=1);

namespace CvPlugin;

use Lcobucci\JWT\Signer;
use Lcobucci\JWT\Signer\Key\InMemory;

/**
 * The portal's JWKS (PROTOCOL.md §7) as lcobucci/jwt keys. lcobucci has no JWK support: an
 * Ed25519 key is its raw 32 bytes (libsodium), a P-256 key a PEM SubjectPublicKeyInfo (OpenSSL).
 * Each key's algorithm is pinned by its type, and its `kid` must be its RFC 7638 thumbprint.
 */
final class KeySet
{
    private const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
    // DER of SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 }, BIT STRING of 66 bytes: 0x00,
    // then the uncompressed point 0x04 || x || y follows.
    private const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
    // Ed25519 public keys anyone can forge signatures for (small order, sign bit cleared).
    private const WEAK_ED25519 = [
        '0000000000000000000000000000000000000000000000000000000000000000',
        '0100000000000000000000000000000000000000000000000000000000000000',
        'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
        '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
        'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    ];

    /** @param array<string, array{alg: string, key: InMemory, signer: Signer}> $keys by kid */
    private function __construct(public readonly array $keys)
    {
    }

    /** @return array{alg: string, key: InMemory, signer: Signer}|null */
    public function get(string $kid): ?array
    {
        return $this->keys[$kid] ?? null;
    }

    /**
     * Reads a JWKS document (its JSON text). Throws \UnexpectedValueException for a set that
     * must be rejected whole (§7): a private key, a broken key, a `kid` that is not the
     * thumbprint, two keys with one `kid`, no usable key.
     */
    public static function fromJwks(string $json): self
    {
        try {
            $parsed = StrictJson::object($json);
        } catch (\InvalidArgumentException $e) {
            throw new \UnexpectedValueException('the JWKS is not a JSON object: ' . $e->getMessage());
        }
        if ($parsed['duplicate']) {
            throw new \UnexpectedValueException('the JWKS repeats a member');
        }
        $list = $parsed['value']['keys'] ?? null;
        if (!is_array($list) || !array_is_list($list)) {
            throw new \UnexpectedValueException('no "keys" array');
        }
        $keys = [];
        foreach ($list as $jwk) {
            if (!is_array($jwk) || ($jwk !== [] && array_is_list($jwk))) {
                throw new \UnexpectedValueException('a key is not an object');
            }
            foreach (self::PRIVATE_MEMBERS as $member) {
                if (array_key_exists($member, $jwk)) {
                    throw new \UnexpectedValueException('a private key in the JWKS'); // and rotate it
                }
            }
            $key = self::usableKey($jwk);
            if ($key === null) {
                continue; // another type, use or algorithm: skipped, never used (§7)
            }
            [$kid, $entry] = $key;
            if (isset($keys[$kid])) {
                throw new \UnexpectedValueException("two keys with kid $kid");
            }
            $keys[$kid] = $entry;
        }
        if ($keys === []) {
            throw new \UnexpectedValueException('no usable key');
        }
        return new self($keys);
    }

    /** @return array{string, array{alg: string, key: InMemory, signer: Signer}}|null */
    private static function usableKey(array $jwk): ?array
    {
        $kty = $jwk['kty'] ?? null;
        $crv = $jwk['crv'] ?? null;
        if ($kty === 'OKP' && $crv === 'Ed25519') {
            [$alg, $names, $other] = ['EdDSA', ['EdDSA', 'Ed25519'], ['ES256', 'ESP256']];
        } elseif ($kty === 'EC' && $crv === 'P-256') {
            [$alg, $names, $other] = ['ES256', ['ES256', 'ESP256'], ['EdDSA', 'Ed25519']];
        } else {
            return null;
        }
        if (array_key_exists('use', $jwk) && $jwk['use'] !== 'sig') {
            return null;
        }
        if (array_key_exists('key_ops', $jwk)) {
            $ops = $jwk['key_ops'];
            if (!is_array($ops) || !in_array('verify', $ops, true)) {
                return null;
            }
            if ($ops !== ['verify']) {
                throw new \UnexpectedValueException('key_ops other than verify');
            }
        }
        if (array_key_exists('alg', $jwk)) {
            if (in_array($jwk['alg'], $other, true)) {
                throw new \UnexpectedValueException('a key whose alg contradicts its type');
            }
            if (!in_array($jwk['alg'], $names, true)) {
                return null; // a key for something else (ECDH-ES, ES384, ...)
            }
        }
        $x = self::coordinate($jwk, 'x');
        if ($alg === 'EdDSA') {
            if (self::isWeakEd25519($x)) {
                throw new \UnexpectedValueException('weak_public_key');
            }
            $canonical = '{"crv":"Ed25519","kty":"OKP","x":"' . $jwk['x'] . '"}';
            $entry = ['alg' => 'EdDSA', 'key' => InMemory::plainText($x), 'signer' => new Signer\Eddsa()];
        } else {
            $y = self::coordinate($jwk, 'y');
            $der = hex2bin(self::P256_SPKI_PREFIX) . "\x04" . $x . $y;
            $pem = "-----BEGIN PUBLIC KEY-----\n" . chunk_split(base64_encode($der), 64, "\n") . "-----END PUBLIC KEY-----\n";
            if (openssl_pkey_get_public($pem) === false) {
                throw new \UnexpectedValueException('a P-256 key that is not a point of the curve');
            }
            $canonical = '{"crv":"P-256","kty":"EC","x":"' . $jwk['x'] . '","y":"' . $jwk['y'] . '"}';
            $entry = ['alg' => 'ES256', 'key' => InMemory::plainText($pem), 'signer' => new Signer\Ecdsa\Sha256()];
        }
        // RFC 7638: the required members only, in lexicographic order, no whitespace. The
        // coordinates are canonical base64url (checked above), so no JSON escaping is needed.
        $thumbprint = Base64Url::encode(hash('sha256', $canonical, true));
        if (array_key_exists('kid', $jwk) && $jwk['kid'] !== $thumbprint) {
            throw new \UnexpectedValueException('a kid that is not the key\'s RFC 7638 thumbprint');
        }
        return [$thumbprint, $entry];
    }

    private static function coordinate(array $jwk, string $name): string
    {
        try {
            $bytes = is_string($jwk[$name] ?? null) ? Base64Url::decode($jwk[$name]) : '';
        } catch (LaunchTokenError) {
            $bytes = '';
        }
        if (strlen($bytes) !== 32) {
            throw new \UnexpectedValueException("\"$name\" is not 32 bytes of canonical base64url");
        }
        return $bytes;
    }

    /** Small order, or y not reduced modulo 2^255 - 19 (§7). */
    private static function isWeakEd25519(string $x): bool
    {
        $cleared = substr($x, 0, 31) . chr(ord($x[31]) & 0x7f);
        if (in_array(bin2hex($cleared), self::WEAK_ED25519, true)) {
            return true;
        }
        // y >= p: bytes 1..30 all 0xff, the top byte 0x7f, the lowest byte >= 0xed.
        return substr($cleared, 1, 30) === str_repeat("\xff", 30) && $cleared[31] === "\x7f" && ord($cleared[0]) >= 0xed;
    }
}
