<?php
declare(strict_types=1);

namespace CvPlugin;

/**
 * A refused launch token. `$reason` is the PROTOCOL.md §6 code: log it (never the token).
 * (Named `reason` because PHP's Exception::$code is an integer.)
 */
final class LaunchTokenError extends \RuntimeException
{
    /** The codes that are the verifier's own fault: answer 503, not 401 (§6). */
    public const OWN_FAULT = ['keys_unavailable', 'replay_store_unavailable', 'replay_capacity_exceeded'];

    public function __construct(public readonly string $reason, string $detail = '')
    {
        parent::__construct($detail === '' ? $reason : "$reason: $detail");
    }

    /** 401 for a bad token, 503 when the verifier could not decide (§6, "Answering a refusal"). */
    public function httpStatus(): int
    {
        return in_array($this->reason, self::OWN_FAULT, true) ? 503 : 401;
    }
}
