<?php
// The pve-snapshots host API over php-curl: Bearer key, TLS verified, bounded
// time, every call written to WHMCS's module log with the secrets masked.

namespace WHMCS\Module\Server\Pvesnapshots;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

class HostApiException extends \Exception
{
    /** @var string the server's stable error code, or NETWORK / BAD_RESPONSE */
    public $errorCode;
    /** @var int HTTP status, 0 when no answer arrived */
    public $status;

    public function __construct($message, $errorCode, $status)
    {
        parent::__construct($message);
        $this->errorCode = $errorCode;
        $this->status = $status;
    }
}

class HostApi
{
    const MODULE = 'pvesnapshots';

    /** @var string scheme://host[:port][/prefix], no trailing slash */
    private $baseUrl;
    /** @var string */
    private $key;
    /** @var string[] values WHMCS must never show in its module log */
    private $secrets;

    /**
     * @param string $baseUrl
     * @param string $key
     */
    public function __construct($baseUrl, $key)
    {
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->key = $key;
        $this->secrets = $key === '' ? array() : array($key);
    }

    /**
     * The client for the server record WHMCS passes in $params: hostname (a
     * path after the host is the panel's --base-path), port, "Use SSL", and
     * the key from the access hash field, else the password field.
     *
     * @param array $params
     * @return HostApi
     */
    public static function fromParams(array $params)
    {
        $host = trim((string) (isset($params['serverhostname']) && $params['serverhostname'] !== ''
            ? $params['serverhostname'] : (isset($params['serverip']) ? $params['serverip'] : '')));
        if ($host === '') {
            throw new HostApiException('the server record has no hostname: set it under Servers', 'CONFIG', 0);
        }
        $path = '';
        $slash = strpos($host, '/');
        if ($slash !== false) {
            $path = '/' . trim(substr($host, $slash), '/');
            $host = substr($host, 0, $slash);
        }
        if (!preg_match('/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/', $host) || ($path !== '/' && $path !== '' && !preg_match('#^(/[A-Za-z0-9._~-]+)+$#', $path))) {
            throw new HostApiException('the server hostname must be a host name, optionally followed by the panel\'s path prefix (e.g. panel.example.net/snapshots)', 'CONFIG', 0);
        }
        if ($path === '/') {
            $path = '';
        }
        $secure = !empty($params['serversecure']) && $params['serversecure'] !== 'off';
        $scheme = $secure ? 'https' : 'http';
        $port = isset($params['serverport']) ? trim((string) $params['serverport']) : '';
        if ($port !== '' && !ctype_digit($port)) {
            throw new HostApiException('the server port must be a number', 'CONFIG', 0);
        }
        $key = isset($params['serveraccesshash']) ? trim((string) $params['serveraccesshash']) : '';
        if ($key === '') {
            $key = isset($params['serverpassword']) ? trim((string) $params['serverpassword']) : '';
        }
        if ($key === '') {
            throw new HostApiException('the server record has no host API key: put it in the Access Hash (or Password) field', 'CONFIG', 0);
        }
        return new HostApi($scheme . '://' . $host . ($port !== '' ? ':' . $port : '') . $path, $key);
    }

    /** @return string */
    public function baseUrl()
    {
        return $this->baseUrl;
    }

    /**
     * Another value to keep out of the module log (e.g. a sign-on link).
     * @param string $value
     */
    public function addSecret($value)
    {
        if (is_string($value) && $value !== '') {
            $this->secrets[] = $value;
        }
    }

    /**
     * One call. Answers the decoded JSON body of a 2xx answer; anything else
     * throws a HostApiException whose message is fit for the admin.
     *
     * @param string $action the WHMCS function, for the log
     * @param string $method
     * @param string $path e.g. /host/v1/ping, segments already encoded
     * @param array|null $body
     * @param int $timeoutSeconds
     * @return array
     */
    public function call($action, $method, $path, $body = null, $timeoutSeconds = 30)
    {
        $url = $this->baseUrl . $path;
        // An empty PHP array would encode as a JSON list; the API wants an object.
        $json = $body === null ? null : ($body === array() ? '{}' : json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
        $headers = array('Accept: application/json', 'Authorization: Bearer ' . $this->key);
        if ($json !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        $ch = curl_init($url);
        curl_setopt_array($ch, array(
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 10,
            CURLOPT_TIMEOUT => $timeoutSeconds,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ));
        if ($json !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $json);
        }
        $raw = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $curlError = $raw === false ? curl_error($ch) : '';
        curl_close($ch);

        $decoded = is_string($raw) && $raw !== '' ? json_decode($raw, true) : null;
        if (is_array($decoded) && isset($decoded['url']) && is_string($decoded['url'])) {
            $this->addSecret($decoded['url']);
        }
        $this->log($action, $method . ' ' . $url . ($json !== null ? "\n" . $json : ''),
            $raw === false ? 'curl: ' . $curlError : 'HTTP ' . $status . "\n" . $raw, $decoded);

        if ($raw === false) {
            throw new HostApiException('cannot reach the pve-snapshots panel at ' . $this->baseUrl . ': ' . $curlError, 'NETWORK', 0);
        }
        if ($status >= 200 && $status < 300) {
            if ($status === 204) {
                return array();
            }
            if (!is_array($decoded)) {
                throw new HostApiException('the pve-snapshots panel answered HTTP ' . $status . ' without a JSON object (is the hostname right?)', 'BAD_RESPONSE', $status);
            }
            return $decoded;
        }
        if (is_array($decoded) && isset($decoded['error']['code'], $decoded['error']['message'])) {
            throw new HostApiException('pve-snapshots: ' . $decoded['error']['message'] . ' (' . $decoded['error']['code'] . ', HTTP ' . $status . ')',
                (string) $decoded['error']['code'], $status);
        }
        throw new HostApiException('the pve-snapshots panel answered HTTP ' . $status . ' (is the hostname or path prefix right?)', 'BAD_RESPONSE', $status);
    }

    /**
     * @param string $action
     * @param string $request
     * @param string $response
     * @param mixed $processed
     */
    private function log($action, $request, $response, $processed)
    {
        if (!function_exists('logModuleCall')) {
            return;
        }
        // WHMCS masks by value when it writes the log; masking here as well
        // keeps the secrets out even where that masking is skipped.
        $request = $this->mask($request);
        $response = $this->mask($response);
        $processed = $this->mask(is_array($processed) ? json_encode($processed, JSON_UNESCAPED_SLASHES) : (string) $processed);
        logModuleCall(self::MODULE, $action, $request, $response, $processed, $this->secrets);
    }

    /**
     * @param string $text
     * @return string
     */
    private function mask($text)
    {
        foreach ($this->secrets as $secret) {
            $text = str_replace(array($secret, str_replace('/', '\\/', $secret)), '********', $text);
        }
        return $text;
    }
}
