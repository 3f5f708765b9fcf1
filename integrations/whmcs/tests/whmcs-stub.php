<?php
// The few WHMCS functions and classes the module calls, for tests run with
// the php CLI: logModuleCall records its calls (the tests check that secrets
// only ever reach it as values to mask), and Capsule answers the one
// read-only custom-field query from rows the test supplies.

namespace {
    if (!defined('WHMCS')) {
        define('WHMCS', true);
    }

    $GLOBALS['pvesnapshotsTestLog'] = array();
    $GLOBALS['pvesnapshotsTestRows'] = array();
    $GLOBALS['pvesnapshotsTestQueries'] = array();

    /**
     * WHMCS's module log. WHMCS replaces every value in $replaceVars by
     * asterisks when it stores the entry; the stub records both forms.
     */
    function logModuleCall($module, $action, $request, $response, $data = '', $replaceVars = array())
    {
        $masked = array();
        foreach (array($request, $response, $data) as $part) {
            $text = is_string($part) ? $part : json_encode($part);
            foreach ($replaceVars as $secret) {
                if (is_string($secret) && $secret !== '') {
                    $text = str_replace($secret, str_repeat('*', strlen($secret)), $text);
                }
            }
            $masked[] = $text;
        }
        $GLOBALS['pvesnapshotsTestLog'][] = array(
            'module' => $module, 'action' => $action,
            'request' => $request, 'response' => $response, 'data' => $data,
            'replaceVars' => $replaceVars, 'stored' => $masked,
        );
    }

    /**
     * WHMCS's internal API, for the notice receiver: each call is appended as
     * a JSON line to the file env PVESNAPSHOTS_TEST_API_LOG names. While a
     * file of that name plus ".fail" exists, it answers like a failed send.
     */
    function localAPI($command, $values = array(), $adminUser = '')
    {
        $log = getenv('PVESNAPSHOTS_TEST_API_LOG');
        $failing = $log !== false && file_exists($log . '.fail');
        if ($log !== false) {
            file_put_contents($log, json_encode(array('command' => $command, 'values' => $values, 'failed' => $failing)) . "\n", FILE_APPEND | LOCK_EX);
        }
        return $failing ? array('result' => 'error', 'message' => 'SMTP connection failed') : array('result' => 'success');
    }

    /** A service model whose serviceProperties answer from an array. */
    class PvesnapshotsTestModel
    {
        public $serviceProperties;

        public function __construct(array $properties)
        {
            $this->serviceProperties = new PvesnapshotsTestProperties($properties);
        }
    }

    class PvesnapshotsTestProperties
    {
        private $values;

        public function __construct(array $values)
        {
            $this->values = $values;
        }

        public function get($key)
        {
            return array_key_exists($key, $this->values) ? $this->values[$key] : null;
        }

        public function save(array $values)
        {
            throw new \Exception('the module must not write service properties');
        }
    }
}

namespace WHMCS\Database {
    /** Just enough of Laravel's query builder for a join, wheres and get(). */
    class PvesnapshotsTestQuery
    {
        private $wheres = array();
        private $table;

        public function __construct($table)
        {
            $this->table = $table;
        }

        public function join($table, $a, $op, $b)
        {
            $this->table .= ' join ' . $table;
            return $this;
        }

        public function where($column, $op, $value = null)
        {
            $this->wheres[] = array($column, $op, $value);
            return $this;
        }

        public function get($columns = array('*'))
        {
            $GLOBALS['pvesnapshotsTestQueries'][] = array('table' => $this->table, 'wheres' => $this->wheres);
            $rows = array();
            foreach ($GLOBALS['pvesnapshotsTestRows'] as $row) {
                $keep = true;
                foreach ($this->wheres as $w) {
                    if ($w[0] === 'tblcustomfieldsvalues.relid' && (string) $row['relid'] !== (string) $w[2]) {
                        $keep = false;
                    }
                }
                if ($keep) {
                    $rows[] = (object) array('fieldname' => $row['fieldname'], 'value' => $row['value']);
                }
            }
            return $rows;
        }
    }

    class Capsule
    {
        public static function table($name)
        {
            return new PvesnapshotsTestQuery($name);
        }
    }
}
