<?php
/**
 * pve-snapshots: WHMCS provisioning module.
 *
 * Sells the Snapshots page of a Proxmox VE VM, either as a product addon on
 * the VPS service another module provisions, or as the module of a plain
 * product with its own VMID custom field. Every call goes to the panel's host
 * API (/host/v1) with the key from the server record; WHMCS's service and
 * client ids are the keys there, so every call can be repeated safely (WHMCS
 * retries failed actions from its module queue).
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/HostApi.php';
require_once __DIR__ . '/lib/ServiceMapping.php';

use WHMCS\Module\Server\Pvesnapshots\HostApi;
use WHMCS\Module\Server\Pvesnapshots\HostApiException;
use WHMCS\Module\Server\Pvesnapshots\ServiceMapping;

/** @return array */
function pvesnapshots_MetaData()
{
    return array(
        'DisplayName' => 'Proxmox VE Snapshots (pve-snapshots)',
        'APIVersion' => '1.1',
        'RequiresServer' => true,
        'DefaultNonSSLPort' => '8080',
        'DefaultSSLPort' => '443',
        'ServiceSingleSignOnLabel' => 'Manage snapshots',
        'AdminSingleSignOnLabel' => 'Open operator view',
    );
}

/** @return array */
function pvesnapshots_ConfigOptions()
{
    return ServiceMapping::configOptions();
}

/**
 * @param string $serviceId
 * @return string
 */
function pvesnapshots_servicePath($serviceId)
{
    return '/host/v1/services/' . rawurlencode($serviceId);
}

/**
 * A failure as WHMCS shows it to the admin; anything unexpected is logged too.
 * @param string $action
 * @param array $params
 * @param \Exception $e
 * @return string
 */
function pvesnapshots_failure($action, array $params, \Exception $e)
{
    if (!($e instanceof HostApiException) || $e->errorCode === 'CONFIG') {
        // A HostApiException from a call is logged by the client already.
        $secrets = array();
        foreach (array('serverpassword', 'serveraccesshash') as $k) {
            if (isset($params[$k]) && is_string($params[$k]) && $params[$k] !== '') {
                $secrets[] = $params[$k];
            }
        }
        logModuleCall('pvesnapshots', $action, 'service ' . (isset($params['serviceid']) ? $params['serviceid'] : '?'), $e->getMessage(), '', $secrets);
    }
    return $e->getMessage();
}

/**
 * Product then service, both PUTs: a repeated call changes nothing.
 * @param array $params
 * @param string $action
 * @return string
 */
function pvesnapshots_provision(array $params, $action)
{
    try {
        $api = HostApi::fromParams($params);
        $policy = ServiceMapping::policy($params);
        $body = ServiceMapping::serviceBody($params);
        $api->call($action, 'PUT', '/host/v1/products/' . rawurlencode($body['product']), $policy);
        $api->call($action, 'PUT', pvesnapshots_servicePath(ServiceMapping::serviceId($params)), $body);
        return 'success';
    } catch (\Exception $e) {
        return pvesnapshots_failure($action, $params, $e);
    }
}

/**
 * @param array $params
 * @return string 'success' or the error WHMCS shows
 */
function pvesnapshots_CreateAccount(array $params)
{
    return pvesnapshots_provision($params, 'CreateAccount');
}

/**
 * @param array $params
 * @return string
 */
function pvesnapshots_ChangePackage(array $params)
{
    return pvesnapshots_provision($params, 'ChangePackage');
}

/**
 * @param array $params
 * @return string
 */
function pvesnapshots_SuspendAccount(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        $reason = isset($params['suspendreason']) ? trim((string) $params['suspendreason']) : '';
        $body = array();
        if ($reason !== '') {
            $body['reason'] = preg_match('/^.{0,200}/su', $reason, $m) ? $m[0] : substr($reason, 0, 200);
        }
        $api->call('SuspendAccount', 'POST', pvesnapshots_servicePath(ServiceMapping::serviceId($params)) . '/suspend', $body);
        return 'success';
    } catch (\Exception $e) {
        return pvesnapshots_failure('SuspendAccount', $params, $e);
    }
}

/**
 * @param array $params
 * @return string
 */
function pvesnapshots_UnsuspendAccount(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        $api->call('UnsuspendAccount', 'POST', pvesnapshots_servicePath(ServiceMapping::serviceId($params)) . '/unsuspend', array());
        return 'success';
    } catch (\Exception $e) {
        return pvesnapshots_failure('UnsuspendAccount', $params, $e);
    }
}

/**
 * Removes the service's own snapshots, then the service. Snapshots the
 * module did not make stay. An unknown service counts as terminated already;
 * a snapshot that could not be removed fails the call, so WHMCS retries it.
 * @param array $params
 * @return string
 */
function pvesnapshots_TerminateAccount(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        try {
            // Each removal waits for its Proxmox task: allow minutes.
            $result = $api->call('TerminateAccount', 'DELETE', pvesnapshots_servicePath(ServiceMapping::serviceId($params)) . '?purgeSnapshots=1', null, 600);
        } catch (HostApiException $e) {
            if ($e->status === 404) {
                return 'success';
            }
            throw $e;
        }
        if (!empty($result['failed']) && is_array($result['failed'])) {
            $names = array();
            foreach ($result['failed'] as $f) {
                $names[] = (isset($f['name']) ? $f['name'] : '?') . ': ' . (isset($f['message']) ? $f['message'] : 'failed');
            }
            return 'pve-snapshots: ' . count($names) . ' snapshot(s) could not be removed, the service is kept so a retry can finish: ' . implode('; ', $names);
        }
        return 'success';
    } catch (\Exception $e) {
        return pvesnapshots_failure('TerminateAccount', $params, $e);
    }
}

/**
 * @param array $params
 * @return array {success, error}
 */
function pvesnapshots_TestConnection(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        $api->call('TestConnection', 'GET', '/host/v1/ping');
        return array('success' => true, 'error' => '');
    } catch (\Exception $e) {
        return array('success' => false, 'error' => pvesnapshots_failure('TestConnection', $params, $e));
    }
}

/**
 * The URL of a sign-on link the panel minted, if it leads to the configured
 * panel host; a link anywhere else is never followed.
 * @param HostApi $api
 * @param array $result the host API's answer {url, expiresAt}
 * @return string
 */
function pvesnapshots_linkOnPanel(HostApi $api, array $result)
{
    $url = isset($result['url']) && is_string($result['url']) ? $result['url'] : '';
    $got = parse_url($url);
    $want = parse_url($api->baseUrl());
    if (!is_array($got) || !isset($got['scheme'], $got['host']) || !in_array(strtolower($got['scheme']), array('http', 'https'), true)
        || strcasecmp($got['host'], isset($want['host']) ? $want['host'] : '') !== 0) {
        throw new HostApiException('pve-snapshots: the sign-on link does not point at the configured panel host; check hostApi.publicUrl on the panel', 'BAD_RESPONSE', 0);
    }
    return $url;
}

/**
 * Mints a single-use sign-on link on click and sends the browser there. The
 * link must lead to the configured panel, never elsewhere.
 * @param array $params
 * @return array {success, redirectTo} or {success, errorMsg}
 */
function pvesnapshots_ServiceSingleSignOn(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        $customer = ServiceMapping::customer($params);
        $result = $api->call('ServiceSingleSignOn', 'POST', '/host/v1/sso',
            array('customerId' => $customer['id'], 'serviceId' => ServiceMapping::serviceId($params)));
        return array('success' => true, 'redirectTo' => pvesnapshots_linkOnPanel($api, $result));
    } catch (\Exception $e) {
        return array('success' => false, 'errorMsg' => pvesnapshots_failure('ServiceSingleSignOn', $params, $e));
    }
}

/**
 * The server's "Open operator view" button: a single-use link to the
 * panel's /admin for the operator named in the server record's Username
 * field (one of the panel config's `operators`).
 * @param array $params
 * @return array {success, redirectTo} or {success, errorMsg}
 */
function pvesnapshots_AdminSingleSignOn(array $params)
{
    try {
        $api = HostApi::fromParams($params);
        $username = isset($params['serverusername']) ? trim((string) $params['serverusername']) : '';
        if ($username === '') {
            throw new HostApiException('the server record has no Username: put the panel operator\'s username there', 'CONFIG', 0);
        }
        $result = $api->call('AdminSingleSignOn', 'POST', '/host/v1/admin-sso', array('username' => $username));
        return array('success' => true, 'redirectTo' => pvesnapshots_linkOnPanel($api, $result));
    } catch (\Exception $e) {
        return array('success' => false, 'errorMsg' => pvesnapshots_failure('AdminSingleSignOn', $params, $e));
    }
}

/**
 * The service as the panel has it, or null when it cannot be read.
 * @param array $params
 * @param string $action
 * @return array|null
 */
function pvesnapshots_fetchService(array $params, $action)
{
    try {
        $api = HostApi::fromParams($params);
        return $api->call($action, 'GET', pvesnapshots_servicePath(ServiceMapping::serviceId($params)));
    } catch (\Exception $e) {
        pvesnapshots_failure($action, $params, $e);
        return null;
    }
}

/**
 * The "Manage snapshots" box on the client's service page. The button goes
 * through WHMCS's own single sign-on route, so the link is minted on click.
 * @param array $params
 * @return array
 */
function pvesnapshots_ClientArea(array $params)
{
    $service = pvesnapshots_fetchService($params, 'ClientArea');
    $serviceId = isset($params['serviceid']) ? (string) $params['serviceid'] : '';
    return array(
        'tabOverviewModuleOutputTemplate' => 'templates/clientarea.tpl',
        'templateVariables' => array(
            'ssoUrl' => 'clientarea.php?action=productdetails&id=' . rawurlencode($serviceId) . '&dosinglesignon=1',
            'available' => $service !== null,
            'suspended' => $service !== null && !empty($service['suspended']),
            'suspendReason' => $service !== null && isset($service['suspendReason']) ? (string) $service['suspendReason'] : '',
            'used' => $service !== null && isset($service['snapshots']['used']) ? (int) $service['snapshots']['used'] : 0,
            'limit' => $service !== null && isset($service['snapshots']['limit']) ? (int) $service['snapshots']['limit'] : 0,
        ),
    );
}

/**
 * Read-only facts on the admin's service page; [] when the panel cannot be read.
 * @param array $params
 * @return array
 */
function pvesnapshots_AdminServicesTabFields(array $params)
{
    $service = pvesnapshots_fetchService($params, 'AdminServicesTabFields');
    if ($service === null) {
        return array();
    }
    $h = function ($v) {
        return htmlspecialchars((string) $v, ENT_QUOTES, 'UTF-8');
    };
    $state = !empty($service['suspended'])
        ? 'Suspended' . (isset($service['suspendReason']) && $service['suspendReason'] !== null && $service['suspendReason'] !== '' ? ': ' . $service['suspendReason'] : '')
        : 'Active';
    return array(
        'Snapshots status' => $h($state),
        'Proxmox VM' => $h((isset($service['type']) ? $service['type'] : '?') . ' ' . (isset($service['vmid']) ? $service['vmid'] : '?')),
        'Snapshots in use' => $h((isset($service['snapshots']['used']) ? $service['snapshots']['used'] : '?') . ' of ' . (isset($service['snapshots']['limit']) ? $service['snapshots']['limit'] : '?')),
        'Snapshot product' => $h(isset($service['product']) ? $service['product'] : '?'),
    );
}
