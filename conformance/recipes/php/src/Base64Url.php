<?php
declare(strict_types=1);

namespace CvPlugin;

/** Canonical unpadded base64url (PROTOCOL.md §2): decode, re-encode, compare. */
final class Base64Url
{
    public static function decode(string $segment): string
    {
        // No padding, no + or /, no whitespace: PHP's base64_decode would skip or accept them.
        if (preg_match('/\A[A-Za-z0-9_-]*\z/', $segment) !== 1 || strlen($segment) % 4 === 1) {
            throw new LaunchTokenError('non_canonical_base64');
        }
        $bytes = base64_decode(strtr($segment, '-_', '+/'), true);
        // Non-zero unused low bits of the last character decode too: only one spelling is canonical.
        if ($bytes === false || self::encode($bytes) !== $segment) {
            throw new LaunchTokenError('non_canonical_base64', 'non-zero trailing bits');
        }
        return $bytes;
    }

    public static function encode(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}
