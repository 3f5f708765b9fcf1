<?php
// Copy to notice-config.php (same folder) and fill in. PHP, not JSON, so the
// web server runs it instead of serving the secret as text.
if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

return array(
    // The same secret the expiry job has in env NOTIFY_SECRET or notify.secretFile (16 characters or more).
    'secret' => 'replace-with-the-notify-secret',
    // WHMCS email templates of type "Product/Service" to send; they can use
    // {$pvesnapshots_snapshot_name}, {$pvesnapshots_snapshot_description},
    // {$pvesnapshots_snapshot_expires_at}, {$pvesnapshots_vmid},
    // {$pvesnapshots_notice_type} and {$pvesnapshots_occurred_at}.
    'templates' => array(
        'snapshot.expiring' => 'Snapshot Expiring',
        'snapshot.removed' => 'Snapshot Removed',
    ),
    // Where the ids of handled notices are kept (30 days), so none is emailed twice.
    // Writable by the web server, outside the web root, kept across reboots.
    'stateDir' => '/var/lib/whmcs-pvesnapshots',
);
