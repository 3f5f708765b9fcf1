<?php
// From WHMCS's $params to the host API's ids and bodies. WHMCS's own ids are
// sent as they are (serviceid, userid); the product id is derived from the
// policy, so products and addons with the same settings share one product.

namespace WHMCS\Module\Server\Pvesnapshots;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

class ServiceMapping
{
    const DEFAULT_VMID_FIELD = 'vmid';

    /**
     * The product settings in the order WHMCS stores them as configoption1…5.
     * Never reorder: WHMCS keeps the values by position.
     * @return array
     */
    public static function configOptions()
    {
        $days = array();
        for ($d = 1; $d <= 10; $d++) {
            $days[(string) $d] = $d === 1 ? '1 day' : $d . ' days';
        }
        return array(
            'maxSnapshots' => array(
                'FriendlyName' => 'Maximum snapshots',
                'Type' => 'text',
                'Size' => '4',
                'Default' => '3',
                'Description' => 'How many snapshots the customer may keep at once (0 to 100; 0 switches snapshots off)',
            ),
            'lifetimeDays' => array(
                'FriendlyName' => 'Snapshot lifetime',
                'Type' => 'dropdown',
                'Options' => $days,
                'Default' => '3',
                'Description' => 'Snapshots older than this are removed automatically by the expiry job',
            ),
            'includeRam' => array(
                'FriendlyName' => 'Include RAM',
                'Type' => 'yesno',
                'Description' => 'Save the memory of a running VM with the snapshot (slower, uses more storage; rollback resumes the VM)',
            ),
            'rollbackLatestOnly' => array(
                'FriendlyName' => 'Rollback to newest only',
                'Type' => 'yesno',
                'Description' => 'Tick for storage that can only roll back to the newest snapshot (e.g. ZFS)',
            ),
            'vmidField' => array(
                'FriendlyName' => 'VMID field name',
                'Type' => 'text',
                'Size' => '20',
                'Default' => self::DEFAULT_VMID_FIELD,
                'Description' => 'Custom field or service property of the VPS service that holds the Proxmox VMID',
            ),
        );
    }

    /**
     * @param array $params
     * @return array {maxSnapshots, lifetimeDays, includeRam, rollbackLatestOnly}
     */
    public static function policy(array $params)
    {
        $max = trim(self::option($params, 1, '3'));
        if (!preg_match('/^[0-9]{1,3}$/', $max) || (int) $max > 100) {
            throw new HostApiException('the product setting "Maximum snapshots" must be a whole number from 0 to 100, not "' . $max . '"', 'CONFIG', 0);
        }
        $days = trim(self::option($params, 2, '3'));
        if (!preg_match('/^[0-9]{1,2}$/', $days) || (int) $days < 1 || (int) $days > 10) {
            throw new HostApiException('the product setting "Snapshot lifetime" must be 1 to 10 days, not "' . $days . '"', 'CONFIG', 0);
        }
        return array(
            'maxSnapshots' => (int) $max,
            'lifetimeDays' => (int) $days,
            'includeRam' => self::ticked(self::option($params, 3, '')),
            'rollbackLatestOnly' => self::ticked(self::option($params, 4, '')),
        );
    }

    /**
     * A product id that names the policy, e.g. "whmcs-3x3d-ram".
     * @param array $policy
     * @return string
     */
    public static function productId(array $policy)
    {
        return 'whmcs-' . $policy['maxSnapshots'] . 'x' . $policy['lifetimeDays'] . 'd'
            . ($policy['includeRam'] ? '-ram' : '') . ($policy['rollbackLatestOnly'] ? '-latest' : '');
    }

    /**
     * WHMCS's service id. For a product addon this is the parent (VPS)
     * service's id, so one VM has one snapshot service.
     * @param array $params
     * @return string
     */
    public static function serviceId(array $params)
    {
        $id = isset($params['serviceid']) ? (string) $params['serviceid'] : '';
        if (!preg_match('/^[A-Za-z0-9._-]{1,64}$/', $id)) {
            throw new HostApiException('WHMCS passed no service id', 'CONFIG', 0);
        }
        return $id;
    }

    /**
     * @param array $params
     * @return array {id, name?, email?}
     */
    public static function customer(array $params)
    {
        $details = isset($params['clientsdetails']) && is_array($params['clientsdetails']) ? $params['clientsdetails'] : array();
        $id = isset($params['userid']) && (string) $params['userid'] !== '' ? (string) $params['userid']
            : (isset($details['id']) ? (string) $details['id'] : (isset($details['userid']) ? (string) $details['userid'] : ''));
        if (!preg_match('/^[A-Za-z0-9._-]{1,64}$/', $id)) {
            throw new HostApiException('WHMCS passed no client id', 'CONFIG', 0);
        }
        $customer = array('id' => $id);
        $name = trim((isset($details['firstname']) ? $details['firstname'] : '') . ' ' . (isset($details['lastname']) ? $details['lastname'] : ''));
        if ($name === '' && isset($details['companyname'])) {
            $name = trim((string) $details['companyname']);
        }
        if ($name !== '') {
            $customer['name'] = self::cut($name, 100);
        }
        if (isset($details['email']) && is_string($details['email']) && $details['email'] !== '' && strlen($details['email']) <= 254) {
            $customer['email'] = $details['email'];
        }
        return $customer;
    }

    /**
     * The Proxmox VMID: the product's own custom field, a service property,
     * or (addon mode) the parent service's custom field read through
     * WHMCS's database layer, read-only.
     * @param array $params
     * @return int
     */
    public static function vmid(array $params)
    {
        $field = trim(self::option($params, 5, self::DEFAULT_VMID_FIELD));
        if ($field === '') {
            $field = self::DEFAULT_VMID_FIELD;
        }
        $value = null;
        if (isset($params['customfields']) && is_array($params['customfields'])) {
            foreach ($params['customfields'] as $name => $v) {
                if (self::sameField((string) $name, $field) && trim((string) $v) !== '') {
                    $value = trim((string) $v);
                    break;
                }
            }
        }
        if ($value === null && isset($params['model']) && is_object($params['model']) && isset($params['model']->serviceProperties)) {
            try {
                $v = $params['model']->serviceProperties->get($field);
                if ($v !== null && trim((string) $v) !== '') {
                    $value = trim((string) $v);
                }
            } catch (\Exception $e) {
                $value = null;
            }
        }
        if ($value === null) {
            $value = self::parentFieldValue(self::serviceId($params), $field);
        }
        if ($value === null) {
            throw new HostApiException('the service has no VMID yet: fill in its "' . $field . '" field (the product setting "VMID field name" names it)', 'CONFIG', 0);
        }
        if (!preg_match('/^[0-9]{3,9}$/', $value) || (int) $value < 100 || (int) $value > 999999999) {
            throw new HostApiException('the "' . $field . '" field holds "' . self::cut($value, 40) . '", not a Proxmox VMID (100 to 999999999)', 'CONFIG', 0);
        }
        return (int) $value;
    }

    /**
     * @param array $params
     * @return array the PUT /host/v1/services body
     */
    public static function serviceBody(array $params)
    {
        $body = array(
            'customer' => self::customer($params),
            'vmid' => self::vmid($params),
            'product' => self::productId(self::policy($params)),
        );
        $label = isset($params['domain']) ? trim((string) $params['domain']) : '';
        if ($label !== '') {
            $body['label'] = self::cut($label, 100);
        }
        return $body;
    }

    /**
     * WHMCS custom field names may carry a display name after "|".
     * @param string $name
     * @param string $wanted
     * @return bool
     */
    private static function sameField($name, $wanted)
    {
        $base = strpos($name, '|') === false ? $name : substr($name, 0, strpos($name, '|'));
        return strcasecmp(trim($base), $wanted) === 0;
    }

    /**
     * @param string $serviceId
     * @param string $field
     * @return string|null
     */
    private static function parentFieldValue($serviceId, $field)
    {
        if (!class_exists('WHMCS\\Database\\Capsule')) {
            return null;
        }
        try {
            $rows = \WHMCS\Database\Capsule::table('tblcustomfields')
                ->join('tblcustomfieldsvalues', 'tblcustomfields.id', '=', 'tblcustomfieldsvalues.fieldid')
                ->where('tblcustomfields.type', '=', 'product')
                ->where('tblcustomfieldsvalues.relid', '=', $serviceId)
                ->get(array('tblcustomfields.fieldname', 'tblcustomfieldsvalues.value'));
        } catch (\Exception $e) {
            throw new HostApiException('could not read the service\'s custom fields from WHMCS: ' . $e->getMessage(), 'CONFIG', 0);
        }
        foreach ($rows as $row) {
            $row = (array) $row;
            if (self::sameField((string) $row['fieldname'], $field) && trim((string) $row['value']) !== '') {
                return trim((string) $row['value']);
            }
        }
        return null;
    }

    /**
     * @param array $params
     * @param int $n
     * @param string $default
     * @return string
     */
    private static function option(array $params, $n, $default)
    {
        $key = 'configoption' . $n;
        return isset($params[$key]) && (string) $params[$key] !== '' ? (string) $params[$key] : $default;
    }

    /**
     * @param string $value
     * @return bool
     */
    private static function ticked($value)
    {
        return in_array(strtolower(trim($value)), array('on', 'yes', '1', 'true'), true);
    }

    /**
     * @param string $text
     * @param int $max characters
     * @return string
     */
    private static function cut($text, $max)
    {
        return preg_match('/^.{0,' . (int) $max . '}/su', $text, $m) ? $m[0] : substr($text, 0, $max);
    }
}
