{* The "Manage snapshots" box on the service's overview. The button opens WHMCS's
   single sign-on route, which asks the panel for a single-use link on click. *}
<div class="panel card panel-default mb-3" id="pvesnapshots">
    <div class="panel-heading card-header">
        <h3 class="panel-title card-title m-0">Snapshots</h3>
    </div>
    <div class="panel-body card-body">
        {if !$available}
            <p>The snapshot panel cannot be reached right now. Please try again later.</p>
        {else}
            {if $suspended}
                <p class="text-warning">Snapshots are suspended for this service{if $suspendReason}: {$suspendReason|escape:'html'}{/if}.
                    You can still look at them, but not take, roll back or remove any.</p>
            {/if}
            <p>Snapshots in use: <strong>{$used|escape:'html'} of {$limit|escape:'html'}</strong>.
                Snapshots are removed automatically when their lifetime is over; they are not backups.</p>
            <a class="btn btn-primary" href="{$ssoUrl|escape:'html'}" target="_blank" rel="noopener">Manage snapshots</a>
        {/if}
    </div>
</div>
