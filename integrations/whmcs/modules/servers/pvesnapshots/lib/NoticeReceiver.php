<?php
// Receives the expiry job's notices (snapshot.expiring, snapshot.removed)
// and asks WHMCS to email the customer. A notice is believed only with a
// valid signature: HMAC-SHA256 of "<timestamp>.<raw body>" with the shared
// notify secret, compared in constant time, and a timestamp at most five
// minutes from this host's clock. Each notice id is acted on once: a replay
// (or the job's retry of a notice whose answer it lost) sends no second
// email and is answered 200 "duplicate", so the job stops retrying it.

namespace WHMCS\Module\Server\Pvesnapshots;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

class NoticeReceiver
{
    const MAX_BODY_BYTES = 65536;
    const MAX_SKEW_SECONDS = 300;
    /** Handled ids are remembered this long: longer than the job retries one notice. */
    const KEEP_SECONDS = 2592000;
    const TYPES = array('snapshot.expiring', 'snapshot.removed');

    /** @var string */
    private $secret;
    /** @var array<string, string> notice type => WHMCS email template name */
    private $templates;
    /** @var string */
    private $stateDir;
    /** @var callable(string, array): array WHMCS's localAPI */
    private $api;

    /**
     * @param array $config  'secret' (at least 16 characters), 'templates' (type => template name), 'stateDir'
     * @param callable $api  localAPI($command, $values)
     */
    public function __construct(array $config, callable $api)
    {
        $secret = isset($config['secret']) ? (string) $config['secret'] : '';
        if (strlen($secret) < 16) {
            throw new \InvalidArgumentException('notice receiver: the notify secret must have at least 16 characters');
        }
        $this->secret = $secret;
        $this->templates = isset($config['templates']) && is_array($config['templates']) ? $config['templates'] : array();
        foreach (self::TYPES as $type) {
            if (!isset($this->templates[$type]) || !is_string($this->templates[$type]) || $this->templates[$type] === '') {
                throw new \InvalidArgumentException("notice receiver: no email template for $type");
            }
        }
        $this->stateDir = isset($config['stateDir']) && $config['stateDir'] !== ''
            ? (string) $config['stateDir'] : sys_get_temp_dir() . '/pvesnapshots-notices';
        $this->api = $api;
    }

    /**
     * @param string $method
     * @param string|null $timestamp  X-Pve-Snapshots-Timestamp
     * @param string|null $signature  X-Pve-Snapshots-Signature
     * @param string $raw  the request body, exactly as received
     * @param int $now  Unix seconds
     * @return array{0: int, 1: array} HTTP status and the JSON answer
     */
    public function handle($method, $timestamp, $signature, $raw, $now)
    {
        if ($method !== 'POST') {
            return array(405, self::error('METHOD_NOT_ALLOWED', 'notices are POSTed'));
        }
        if (strlen($raw) > self::MAX_BODY_BYTES) {
            return array(413, self::error('TOO_LARGE', 'the notice is larger than 64 KiB'));
        }
        if (!is_string($timestamp) || !preg_match('/^[0-9]{1,12}$/', $timestamp) || !is_string($signature)) {
            return array(401, self::error('UNSIGNED', 'the timestamp or signature header is missing or malformed'));
        }
        $expected = 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $raw, $this->secret);
        if (!hash_equals($expected, $signature)) {
            return array(401, self::error('BAD_SIGNATURE', 'the signature does not match'));
        }
        if (abs($now - (int) $timestamp) > self::MAX_SKEW_SECONDS) {
            return array(401, self::error('STALE_TIMESTAMP', 'the timestamp is more than 5 minutes from this host\'s clock'));
        }
        $notice = json_decode($raw, true);
        $problem = self::shapeProblem($notice);
        if ($problem !== null) {
            return array(400, self::error('INVALID_NOTICE', $problem));
        }
        if (!$this->claim($notice['id'], $now)) {
            return array(200, array('result' => 'duplicate', 'id' => $notice['id']));
        }
        // Services of the panel's own config are not WHMCS services: nobody to email here.
        if (!preg_match('/^[1-9][0-9]{0,18}$/', (string) $notice['service']['id'])) {
            return array(200, array('result' => 'ignored', 'id' => $notice['id']));
        }
        $snapshot = $notice['snapshot'];
        $vars = array(
            'pvesnapshots_notice_type' => $notice['type'],
            'pvesnapshots_vmid' => $notice['vmid'],
            'pvesnapshots_snapshot_name' => $snapshot['name'],
            'pvesnapshots_snapshot_description' => isset($snapshot['description']) ? (string) $snapshot['description'] : '',
            'pvesnapshots_snapshot_expires_at' => isset($snapshot['expiresAt']) ? (string) $snapshot['expiresAt'] : '',
            'pvesnapshots_occurred_at' => $notice['occurredAt'],
        );
        try {
            $answer = call_user_func($this->api, 'SendEmail', array(
                'messagename' => $this->templates[$notice['type']],
                'id' => (int) $notice['service']['id'],
                'customvars' => base64_encode(serialize($vars)),
            ));
        } catch (\Exception $e) {
            $answer = array('result' => 'error', 'message' => $e->getMessage());
        }
        if (!is_array($answer) || !isset($answer['result']) || $answer['result'] !== 'success') {
            // Not handled after all: the job's retry may try again.
            $this->release($notice['id']);
            $why = is_array($answer) && isset($answer['message']) ? (string) $answer['message'] : 'no answer';
            return array(502, self::error('EMAIL_FAILED', 'WHMCS did not send the email: ' . $why));
        }
        return array(200, array('result' => 'sent', 'id' => $notice['id']));
    }

    /** @return string|null what is wrong with the notice, or null */
    private static function shapeProblem($n)
    {
        if (!is_array($n)) {
            return 'the body is not a JSON object';
        }
        if (!isset($n['id']) || !is_string($n['id']) || !preg_match('/^[A-Za-z0-9-]{1,100}$/', $n['id'])) {
            return 'id must be 1 to 100 letters, digits or "-"';
        }
        if (!isset($n['type']) || !in_array($n['type'], self::TYPES, true)) {
            return 'type must be snapshot.expiring or snapshot.removed';
        }
        if (!isset($n['service']['id']) || !is_string($n['service']['id']) || $n['service']['id'] === '') {
            return 'service.id is missing';
        }
        if (!isset($n['vmid']) || !is_int($n['vmid'])) {
            return 'vmid must be an integer';
        }
        if (!isset($n['snapshot']['name']) || !is_string($n['snapshot']['name'])) {
            return 'snapshot.name is missing';
        }
        if (!isset($n['occurredAt']) || !is_string($n['occurredAt'])) {
            return 'occurredAt is missing';
        }
        return null;
    }

    /**
     * Marks the id as handled; false when it already was. Creating the file
     * with "x" is atomic, so of two deliveries at once only one gets it.
     */
    private function claim($id, $now)
    {
        if (!is_dir($this->stateDir) && !@mkdir($this->stateDir, 0700, true) && !is_dir($this->stateDir)) {
            throw new \RuntimeException('notice receiver: cannot create ' . $this->stateDir);
        }
        $this->prune($now);
        $f = @fopen($this->path($id), 'x');
        if ($f === false) {
            return false;
        }
        fclose($f);
        return true;
    }

    private function release($id)
    {
        @unlink($this->path($id));
    }

    private function path($id)
    {
        return $this->stateDir . '/' . hash('sha256', $id) . '.seen';
    }

    private function prune($now)
    {
        foreach (glob($this->stateDir . '/*.seen') ?: array() as $file) {
            $at = @filemtime($file);
            if ($at !== false && $at < $now - self::KEEP_SECONDS) {
                @unlink($file);
            }
        }
    }

    private static function error($code, $message)
    {
        return array('error' => array('code' => $code, 'message' => $message));
    }
}
