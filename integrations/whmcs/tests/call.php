<?php
// Calls one module function the way WHMCS would and prints JSON:
// stdin {"function": "CreateAccount" (or "serviceBody": the mapping alone), "params": {...}, "rows": [...], "properties": {...}, "request": {...}}
// stdout {"result": ..., "log": [...], "queries": [...]}
require __DIR__ . '/whmcs-stub.php';
require __DIR__ . '/../modules/servers/pvesnapshots/pvesnapshots.php';

$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input) || !isset($input['function'])) {
    fwrite(STDERR, "call.php: expected a JSON object with \"function\" on stdin\n");
    exit(2);
}
$GLOBALS['pvesnapshotsTestRows'] = isset($input['rows']) ? $input['rows'] : array();
$_REQUEST = isset($input['request']) ? $input['request'] : array();
$params = isset($input['params']) ? $input['params'] : array();
if (isset($input['properties'])) {
    $params['model'] = new PvesnapshotsTestModel($input['properties']);
}
if ($input['function'] === 'serviceBody') {
    // The mapping on its own, so a test can see what CreateAccount would send.
    try {
        $result = \WHMCS\Module\Server\Pvesnapshots\ServiceMapping::serviceBody($params);
    } catch (\Exception $e) {
        $result = array('error' => $e->getMessage());
    }
    echo json_encode(array('result' => $result, 'log' => $GLOBALS['pvesnapshotsTestLog'], 'queries' => $GLOBALS['pvesnapshotsTestQueries']), JSON_UNESCAPED_SLASHES);
    exit(0);
}
$fn = 'pvesnapshots_' . $input['function'];
if (!function_exists($fn)) {
    fwrite(STDERR, "call.php: no function $fn\n");
    exit(2);
}
$result = in_array($input['function'], array('MetaData', 'ConfigOptions'), true) ? $fn() : $fn($params);
echo json_encode(array(
    'result' => $result,
    'log' => $GLOBALS['pvesnapshotsTestLog'],
    'queries' => $GLOBALS['pvesnapshotsTestQueries'],
), JSON_UNESCAPED_SLASHES);
