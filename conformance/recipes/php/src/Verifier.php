<?php
declare(strict_types=1);

namespace CvPlugin;

use DateTimeImmutable;
use Lcobucci\JWT\Encoding\JoseEncoder;
use Lcobucci\JWT\Token\Parser;
use Lcobucci\JWT\Token\Plain;
use Lcobucci\JWT\Validation\Constraint\IssuedBy;
use Lcobucci\JWT\Validation\Constraint\PermittedFor;
use Lcobucci\JWT\Validation\Validator;
use Psr\Clock\ClockInterface;

/** The wall clock (lcobucci/clock is not needed for this). */
final class SystemClock implements ClockInterface
{
    public function now(): DateTimeImmutable
    {
        return new DateTimeImmutable();
    }
}

/** A clock pinned to one Unix time: the vectors were made for one instant. */
final class FrozenClock implements ClockInterface
{
    public function __construct(private readonly int $unix)
    {
    }

    public function now(): DateTimeImmutable
    {
        return new DateTimeImmutable("@{$this->unix}");
    }
}

/**
 * A launch-token verifier for one portal and one plugin, every check of PROTOCOL.md §6 in its
 * order, with lcobucci/jwt 5 for what it does well (the signature: libsodium for EdDSA, OpenSSL
 * for ES256 with the JWS r||s turned into DER for you; issuer, audience and the times) and a few
 * lines of our own for what it does not:
 *
 * - length, three segments, canonical base64url (lcobucci's decoder is strict about the
 *   alphabet but not about the unused low bits; it never limits the length);
 * - the header: lcobucci's parser ADDS `typ: JWT` to a header without one, keeps the last of two
 *   equal members, and accepts any extra member (`jku`, `x5u`, `crit`, `b64`...);
 * - the key: lcobucci has no JWK or `kid` support (KeySet), and `alg` must come from the key,
 *   never from the header alone; `none` and HS256 never reach a signer here;
 * - the claims: lcobucci reads an `aud` array as fine, and string or float times as dates
 *   (`"1764288240"`, `1764288240.5`); json_decode reads `-0` as 0. StrictJson sees the text;
 * - role, the formats of `sub` and `jti`, the one-hour lifetime, single use.
 */
final class Verifier
{
    public const TYP = 'cv-plugin-launch+jwt';
    public const PROTOCOL_ALGS = ['EdDSA', 'ES256'];
    private const CLAIMS = ['iss', 'aud', 'sub', 'role', 'iat', 'nbf', 'exp', 'jti'];
    private const TIMES = ['iat', 'nbf', 'exp'];
    private const ROLES = ['cliente', 'sindico', 'gestor'];
    private const MAX_TIME = 253402300799; // 9999-12-31T23:59:59Z
    private const MAX_LIFETIME = 3600;

    /**
     * @param list<string> $algorithms the algorithm the portal signs this plugin's tokens with
     *   (the onboarding checklist's "algorithm"): ['EdDSA'] by default, ['ES256'] for a plugin
     *   configured so. A token of the other algorithm is refused (`unsupported_alg`) even when
     *   the portal publishes a key for it.
     */
    public function __construct(
        private readonly KeySet $keys,
        private readonly string $issuer,
        private readonly string $plugin,
        private readonly array $algorithms = ['EdDSA'],
        private readonly int $leeway = 30,
        private readonly int $maxLength = 4096,
        private readonly ClockInterface $clock = new SystemClock(),
        private readonly ?ReplayStore $replay = null,
    ) {
        if (array_diff($algorithms, self::PROTOCOL_ALGS) !== [] || $algorithms === []) {
            throw new \InvalidArgumentException('algorithms: EdDSA and/or ES256 only');
        }
        if ($leeway < 0 || $leeway > 300) {
            throw new \InvalidArgumentException('leeway: 0 to 300 seconds');
        }
    }

    /**
     * The launch: every check of §6, single use included. Returns the claims (an array with the
     * eight claims of §4 and any unknown ones) or throws LaunchTokenError.
     */
    public function verifyLaunch(string $token): array
    {
        if ($this->replay === null) {
            throw new \LogicException('verifyLaunch needs a ReplayStore');
        }
        $claims = $this->verify($token);
        // 21. Last, so that forged and expired tokens never take space in the store.
        $now = $this->clock->now()->getTimestamp();
        $this->replay->claim($claims['iss'], $claims['aud'], $claims['jti'], $claims['exp'], $this->leeway, $now);
        return $claims;
    }

    /** Checks 1 to 20 (single use aside: see verifyLaunch). */
    public function verify(string $token): array
    {
        // 1-3. Size in bytes before anything else, three segments, canonical base64url.
        if (strlen($token) > $this->maxLength) {
            throw new LaunchTokenError('token_too_large');
        }
        $segments = explode('.', $token);
        if (count($segments) !== 3) {
            throw new LaunchTokenError('malformed', 'not three segments');
        }
        [$headerBytes, $claimsBytes, $signature] = array_map([Base64Url::class, 'decode'], $segments);

        // 4-9. The header is exactly {alg, typ, kid}; kid picks the key; the key fixes the alg.
        try {
            $header = StrictJson::object($headerBytes);
        } catch (\InvalidArgumentException $e) {
            throw new LaunchTokenError('malformed', 'header: ' . $e->getMessage());
        }
        $h = $header['value'];
        $alg = $h['alg'] ?? null;
        if (is_string($alg) && strtolower($alg) === 'none') {
            throw new LaunchTokenError('alg_none');
        }
        if (!in_array($alg, self::PROTOCOL_ALGS, true)) {
            throw new LaunchTokenError('unsupported_alg');
        }
        if (!in_array($alg, $this->algorithms, true)) {
            throw new LaunchTokenError('unsupported_alg', "$alg is not this plugin's algorithm");
        }
        $seen = [];
        foreach ($header['names'] as $name) { // whichever comes first in the header
            if (isset($seen["k$name"])) {
                throw new LaunchTokenError('duplicate_member', 'header');
            }
            if (!in_array($name, ['alg', 'typ', 'kid'], true)) {
                throw new LaunchTokenError('forbidden_header', $name);
            }
            $seen["k$name"] = true;
        }
        if (!array_key_exists('typ', $h)) {
            throw new LaunchTokenError('missing_typ');
        }
        if ($h['typ'] !== self::TYP) { // exactly: case-sensitive, no application/ prefix
            throw new LaunchTokenError('wrong_typ');
        }
        if (!array_key_exists('kid', $h)) {
            throw new LaunchTokenError('missing_kid');
        }
        $key = is_string($h['kid']) ? $this->keys->get($h['kid']) : null;
        if ($key === null) {
            throw new LaunchTokenError('unknown_kid');
        }
        if ($key['alg'] !== $alg) {
            throw new LaunchTokenError('alg_mismatch');
        }

        // 10. The library's signer for the key's algorithm, over the segments as received.
        // A signature of the wrong length makes libsodium throw and lcobucci's r||s-to-DER
        // conversion warn or throw: all of them are a bad signature.
        set_error_handler(static fn (): bool => throw new \ErrorException('signature'));
        try {
            $valid = $key['signer']->verify($signature, $segments[0] . '.' . $segments[1], $key['key']);
        } catch (\Throwable) {
            $valid = false;
        } finally {
            restore_error_handler();
        }
        if (!$valid) {
            throw new LaunchTokenError('bad_signature');
        }

        // 11-17. Our own: what lcobucci reads too leniently or not at all.
        $claims = $this->checkClaims($claimsBytes);

        // 14, 15, 18-20. lcobucci, now that the claims are known to be well formed.
        try {
            $parsed = (new Parser(new JoseEncoder()))->parse($token);
        } catch (\Throwable $e) {
            throw new LaunchTokenError('malformed', $e->getMessage());
        }
        assert($parsed instanceof Plain);
        $validator = new Validator();
        if (!$validator->validate($parsed, new IssuedBy($this->issuer))) {
            throw new LaunchTokenError('wrong_issuer');
        }
        if (!$validator->validate($parsed, new PermittedFor($this->plugin))) {
            throw new LaunchTokenError('wrong_audience');
        }
        // lcobucci's StrictValidAt does these three in this order, but reports them as one
        // violation; the token's own methods give one code per check.
        $now = $this->clock->now();
        $leeway = new \DateInterval("PT{$this->leeway}S");
        if (!$parsed->hasBeenIssuedBefore($now->add($leeway))) {
            throw new LaunchTokenError('issued_in_future', sprintf('iat is %d s ahead', $claims['iat'] - $now->getTimestamp()));
        }
        if (!$parsed->isMinimumTimeBefore($now->add($leeway))) {
            throw new LaunchTokenError('not_yet_valid', sprintf('nbf is %d s ahead', $claims['nbf'] - $now->getTimestamp()));
        }
        if ($parsed->isExpired($now->sub($leeway))) {
            throw new LaunchTokenError('expired', sprintf('expired %d s ago', $now->getTimestamp() - $claims['exp']));
        }
        return $claims;
    }

    /** Checks 11 to 17 on the signed claims segment. Returns the claims. */
    private function checkClaims(string $bytes): array
    {
        try {
            $parsed = StrictJson::object($bytes);
        } catch (\InvalidArgumentException $e) {
            throw new LaunchTokenError('malformed', 'claims: ' . $e->getMessage());
        }
        if ($parsed['duplicate']) {
            throw new LaunchTokenError('duplicate_member', 'claims');
        }
        $claims = $parsed['value'];
        foreach (self::CLAIMS as $name) {
            if (!array_key_exists($name, $claims)) {
                throw new LaunchTokenError('missing_claim', $name);
            }
        }
        foreach (self::CLAIMS as $name) {
            if (in_array($name, self::TIMES, true)) {
                // The text as written: a plain non-negative integer, never 1.0, 1e9, -0, "1", true.
                $raw = $parsed['raw'][$name];
                if (preg_match('/\A(?:0|[1-9][0-9]{0,11})\z/', $raw) !== 1 || (int) $raw > self::MAX_TIME) {
                    throw new LaunchTokenError('invalid_claim', $name);
                }
                $claims[$name] = (int) $raw;
            } elseif (!is_string($claims[$name])) { // an aud array is refused here
                throw new LaunchTokenError('invalid_claim', $name);
            }
        }
        if (!in_array($claims['role'], self::ROLES, true)) {
            throw new LaunchTokenError('unknown_role');
        }
        if ($claims['iss'] !== $this->issuer) {
            throw new LaunchTokenError('wrong_issuer');
        }
        if ($claims['aud'] !== $this->plugin) {
            throw new LaunchTokenError('wrong_audience');
        }
        if (preg_match('/\A[A-Za-z0-9._:-]{1,128}\z/', $claims['sub']) !== 1) {
            throw new LaunchTokenError('invalid_claim', 'sub');
        }
        if (preg_match('/\A[A-Za-z0-9_-]{16,128}\z/', $claims['jti']) !== 1) {
            throw new LaunchTokenError('invalid_claim', 'jti');
        }
        if ($claims['exp'] <= $claims['iat']) {
            throw new LaunchTokenError('invalid_claim', 'exp');
        }
        if ($claims['exp'] - $claims['iat'] > self::MAX_LIFETIME) {
            throw new LaunchTokenError('lifetime_too_long');
        }
        return $claims;
    }
}
