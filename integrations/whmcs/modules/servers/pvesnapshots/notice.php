<?php
/**
 * pve-snapshots: the receiver of the expiry job's notices.
 *
 * The job's `notify.url` points here:
 * https://billing.example.net/modules/servers/pvesnapshots/notice.php
 * Settings (the shared notify secret, the email templates, where handled
 * notice ids are remembered) are in notice-config.php beside this file; see
 * notice-config.sample.php and the module's README.
 */

if (!defined('WHMCS')) {
    // Called directly by the job: start WHMCS (its init.php) so localAPI is there.
    $pvesnapshotsInit = __DIR__ . '/../../../init.php';
    if (!is_file($pvesnapshotsInit)) {
        die('This file cannot be accessed directly');
    }
    require_once $pvesnapshotsInit;
}

require_once __DIR__ . '/lib/NoticeReceiver.php';

use WHMCS\Module\Server\Pvesnapshots\NoticeReceiver;

$pvesnapshotsNoticeConfig = getenv('PVESNAPSHOTS_NOTICE_CONFIG') ?: __DIR__ . '/notice-config.php';
header('Content-Type: application/json');
header('Cache-Control: no-store');
try {
    $receiver = new NoticeReceiver(require $pvesnapshotsNoticeConfig, function ($command, $values) {
        return localAPI($command, $values);
    });
    list($status, $answer) = $receiver->handle(
        isset($_SERVER['REQUEST_METHOD']) ? $_SERVER['REQUEST_METHOD'] : '',
        isset($_SERVER['HTTP_X_PVE_SNAPSHOTS_TIMESTAMP']) ? $_SERVER['HTTP_X_PVE_SNAPSHOTS_TIMESTAMP'] : null,
        isset($_SERVER['HTTP_X_PVE_SNAPSHOTS_SIGNATURE']) ? $_SERVER['HTTP_X_PVE_SNAPSHOTS_SIGNATURE'] : null,
        (string) file_get_contents('php://input'),
        time()
    );
} catch (\Exception $e) {
    // The receiver's own setup is wrong: the job retries later, the admin sees why in the activity log.
    if (function_exists('logActivity')) {
        logActivity('pve-snapshots notice receiver: ' . $e->getMessage());
    }
    list($status, $answer) = array(500, array('error' => array('code' => 'RECEIVER_CONFIG', 'message' => 'the notice receiver is not set up')));
}
http_response_code($status);
echo json_encode($answer, JSON_UNESCAPED_SLASHES);
