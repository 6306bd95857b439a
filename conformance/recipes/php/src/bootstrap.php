<?php
// Loads lcobucci/jwt (Debian: php-lcobucci-jwt, which pulls php-psr-clock) and this recipe.
// With Composer: `composer require lcobucci/jwt:^5` and require vendor/autoload.php instead of
// the first line.
declare(strict_types=1);

require_once '/usr/share/php/Lcobucci/JWT/autoload.php';
foreach (['LaunchTokenError', 'StrictJson', 'Base64Url', 'KeySet', 'ReplayStore', 'Verifier', 'ClientData'] as $file) {
    require_once __DIR__ . "/$file.php";
}
