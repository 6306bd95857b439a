<?php
declare(strict_types=1);
namespace CvPlugin;
final class ClientDataError extends \RuntimeException {}
final class ClientData {}
