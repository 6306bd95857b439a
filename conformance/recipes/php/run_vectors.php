<?php
/**
 * The PHP recipe (lcobucci/jwt 5) against the conformance vectors, as conformance/ does for
 * PyJWT and jose:
 *
 *     php run_vectors.php ../../../vectors/launch-tokens.json
 *     php run_vectors.php --client-data ../../../vectors/client-data.json --portal http://127.0.0.1:PORT
 *
 * Launch tokens: every valid vector verifies with its claims (one replay store for them all, then
 * each again: `replayed`), every invalid one is refused with its code (a fresh store each), and a
 * verifier pinned to ES256 refuses the EdDSA vectors (`unsupported_alg`) and accepts the ES256
 * ones. Then `per_plugin_algorithm`, the vendor of an ES256 plugin holding the P-256 key alone:
 * pinned to ES256, its valid vectors verify and are then `replayed`, its invalid ones are
 * refused with `error_when_alg_pinned` (or `error`); accepting both algorithms, with `error`.
 * Client data: the cases of client-data.json, in order, against a fresh loopback portal.
 * Prints `FAIL ...` lines and a count; exits 1 on any failure.
 */
declare(strict_types=1);

require __DIR__ . '/src/bootstrap.php';

use CvPlugin\ClientData;
use CvPlugin\ClientDataError;
use CvPlugin\FrozenClock;
use CvPlugin\KeySet;
use CvPlugin\LaunchTokenError;
use CvPlugin\ReplayStore;
use CvPlugin\Verifier;

/** JSON values compared as values: objects without regard to member order. */
function canonical(mixed $value): mixed
{
    if (is_array($value) && !array_is_list($value)) {
        ksort($value, SORT_STRING);
    }
    return is_array($value) ? array_map('canonical', $value) : $value;
}

$passed = 0;
$failures = [];
$check = function (bool $ok, string $message) use (&$passed, &$failures): void {
    $ok ? $passed++ : $failures[] = $message;
};

function launch_tokens(string $file, callable $check): void
{
    $vectors = json_decode(file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    $keys = KeySet::fromJwks(json_encode($vectors['jwks']));
    $tmp = tempnam(sys_get_temp_dir(), 'cv-replay-');
    $verifier = function (array $algorithms, ?string $db = null) use ($vectors, $keys): Verifier {
        return new Verifier($keys, $vectors['issuer'], $vectors['plugin'], $algorithms, $vectors['leeway'],
            $vectors['max_token_len'], new FrozenClock($vectors['now']), $db === null ? null : new ReplayStore($db));
    };
    $both = ['EdDSA', 'ES256'];
    $once = $verifier($both, $tmp);
    foreach ($vectors['valid'] as $v) {
        try {
            $claims = $once->verifyLaunch($v['token']);
            $check(canonical($claims) === canonical($v['claims']), "{$v['name']}: claims differ: " . json_encode($claims));
        } catch (LaunchTokenError $e) {
            $check(false, "{$v['name']}: valid vector refused: {$e->getMessage()}");
        }
    }
    foreach ($vectors['valid'] as $v) { // §8: the second presentation, same store
        try {
            $once->verifyLaunch($v['token']);
            $check(false, "{$v['name']}: accepted twice");
        } catch (LaunchTokenError $e) {
            $check($e->reason === 'replayed', "{$v['name']}: second use refused as {$e->reason}, expected replayed");
        }
    }
    unlink($tmp);
    foreach ($vectors['invalid'] as $v) {
        $db = tempnam(sys_get_temp_dir(), 'cv-replay-');
        try {
            $verifier($both, $db)->verifyLaunch($v['token']);
            $check(false, "{$v['name']}: invalid vector accepted (expected {$v['error']})");
        } catch (LaunchTokenError $e) {
            $check($e->reason === $v['error'], "{$v['name']}: refused as {$e->reason}, expected {$v['error']}");
        }
        unlink($db);
    }
    // The plugin's pinned algorithm: an ES256 plugin refuses EdDSA tokens, and the reverse.
    foreach (['ES256', 'EdDSA'] as $pinned) {
        $only = $verifier([$pinned]);
        foreach ($vectors['valid'] as $v) {
            try {
                $only->verify($v['token']);
                $check($v['alg'] === $pinned, "{$v['name']}: {$v['alg']} accepted by a verifier pinned to $pinned");
            } catch (LaunchTokenError $e) {
                $check($v['alg'] !== $pinned && $e->reason === 'unsupported_alg',
                    "{$v['name']}: pinned to $pinned, refused as {$e->reason}");
            }
        }
    }

    // The per-plugin algorithm (PROTOCOL.md §3): this plugin's key set and plugin, pinned to
    // its algorithm as the onboarding checklist says.
    $section = $vectors['per_plugin_algorithm'];
    $sectionKeys = KeySet::fromJwks(json_encode($section['jwks']));
    $sectionVerifier = function (array $algorithms, ?string $db = null) use ($vectors, $section, $sectionKeys): Verifier {
        return new Verifier($sectionKeys, $vectors['issuer'], $section['plugin'], $algorithms, $vectors['leeway'],
            $vectors['max_token_len'], new FrozenClock($vectors['now']), $db === null ? null : new ReplayStore($db));
    };
    $pinned = [$section['algorithm']];
    $p = $section['plugin'];
    $tmp = tempnam(sys_get_temp_dir(), 'cv-replay-');
    $once = $sectionVerifier($pinned, $tmp);
    foreach ($section['valid'] as $v) {
        try {
            $claims = $once->verifyLaunch($v['token']);
            $check(canonical($claims) === canonical($v['claims']), "$p {$v['name']}: claims differ: " . json_encode($claims));
        } catch (LaunchTokenError $e) {
            $check(false, "$p {$v['name']}: valid vector refused: {$e->getMessage()}");
        }
    }
    foreach ($section['valid'] as $v) { // §8: the second presentation, same store
        try {
            $once->verifyLaunch($v['token']);
            $check(false, "$p {$v['name']}: accepted twice");
        } catch (LaunchTokenError $e) {
            $check($e->reason === 'replayed', "$p {$v['name']}: second use refused as {$e->reason}, expected replayed");
        }
    }
    unlink($tmp);
    foreach ($section['invalid'] as $v) {
        $expected = ['pinned' => $v['error_when_alg_pinned'] ?? $v['error'], 'both algorithms' => $v['error']];
        foreach (['pinned' => $pinned, 'both algorithms' => $both] as $label => $algorithms) {
            $db = tempnam(sys_get_temp_dir(), 'cv-replay-');
            try {
                $sectionVerifier($algorithms, $db)->verifyLaunch($v['token']);
                $check(false, "$p {$v['name']} ($label): accepted (expected {$expected[$label]})");
            } catch (LaunchTokenError $e) {
                $check($e->reason === $expected[$label], "$p {$v['name']} ($label): refused as {$e->reason}, expected {$expected[$label]}");
            }
            unlink($db);
        }
    }
}

$args = array_slice($argv, 1);
if (($args[0] ?? '') === '--client-data') {
    $portal = null;
    if (($args[2] ?? '') === '--portal') {
        $portal = rtrim($args[3] ?? '', '/');
    }
    if ($portal === null || $portal === '') {
        fwrite(STDERR, "usage: run_vectors.php --client-data client-data.json --portal URL\n");
        exit(2);
    }
    require __DIR__ . '/client_data_cases.php';
    $label = client_data_cases($args[1], $portal, $check);
} elseif (count($args) === 1) {
    launch_tokens($args[0], $check);
    $label = 'launch tokens';
} else {
    fwrite(STDERR, "usage: run_vectors.php launch-tokens.json | --client-data client-data.json --portal URL\n");
    exit(2);
}
foreach ($failures as $message) {
    echo "FAIL $message\n";
}
printf("%s, PHP (lcobucci/jwt %s): %d passed, %d failed\n", $label,
    "5", $passed, count($failures));
exit($failures === [] ? 0 : 1);
