<?php
// The notice receiver under `php -S` for the tests: the WHMCS stub in place
// of init.php, then the module's own notice.php.
require __DIR__ . '/whmcs-stub.php';
require __DIR__ . '/../modules/servers/pvesnapshots/notice.php';
