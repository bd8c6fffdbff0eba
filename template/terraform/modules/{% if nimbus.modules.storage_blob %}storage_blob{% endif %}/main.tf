resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_59:checkov reads public_network_access_enabled, deprecated in azurerm 5.x; public_network_access below is Disabled whenever a private endpoint is set (public mode is public by design, Entra ID only, see this module's README).
  #checkov:skip=CKV_AZURE_206:LRS by default (replication_type variable): geo or zone redundancy costs more and a per-branch environment is disposable.
  #checkov:skip=CKV_AZURE_33:The queue service is not used (blob only); azurerm 5.x manages queue logging in a separate data-plane resource that shared-key-less accounts would need Entra ID data roles for.
  #checkov:skip=CKV2_AZURE_1:Customer-managed keys need a key vault key, an identity and key rotation per environment; Microsoft-managed keys plus infrastructure (double) encryption are used instead.
  #checkov:skip=CKV_AZURE_35:Mode-dependent by design: private endpoint mode turns public network access off and denies by default; public network mode allows all networks and relies on Entra ID (shared keys disabled). Skipped explicitly because checkov mis-evaluates the null comparison that selects the mode.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.replication_type
  access_tier              = "Hot"

  # Entra ID only: no account keys, no SAS signed with them, no local (SFTP) users, no anonymous reads.
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  local_user_enabled               = false
  allow_nested_items_to_be_public  = false
  cross_tenant_replication_enabled = false
  allowed_copy_scope               = "AAD"

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  infrastructure_encryption_enabled = true # second encryption layer, no extra charge

  public_network_access = local.public_access ? "Enabled" : "Disabled"

  # Public mode: reachable from anywhere, Entra ID is the control (the app's outbound addresses are
  # shared and change). Private endpoint mode: public access is off, so this only matters if it is
  # ever switched back on.
  network_rules {
    default_action = local.public_access ? "Allow" : "Deny"
    bypass         = ["AzureServices"]
  }

  blob_properties {
    versioning_enabled = var.versioning_enabled

    delete_retention_policy {
      days = var.soft_delete_retention_days
    }

    container_delete_retention_policy {
      days = var.soft_delete_retention_days
    }
  }
}

# Created through Azure Resource Manager (storage_account_id), not the blob data plane, so neither
# account keys nor data-plane network access are needed to deploy it.
resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Blob reads, writes and deletes are logged by the blob service diagnostic setting below; the check only accepts the legacy azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = var.container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "app_blob_data_contributor" {
  scope                = azurerm_storage_container.this.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = var.app_principal_id
  principal_type       = "ServicePrincipal"
}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_storage_account.this.id
  subresource_name    = "blob"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}-blob"
  target_resource_id         = "${azurerm_storage_account.this.id}/blobServices/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
