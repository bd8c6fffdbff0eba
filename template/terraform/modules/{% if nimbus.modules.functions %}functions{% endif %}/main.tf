# ---------------------------------------------------------------------------------------------------------
# Host storage: identity-only, reachable from the app's subnet only when the app is in a network
# ---------------------------------------------------------------------------------------------------------

resource "azurerm_storage_account" "host" {
  #checkov:skip=CKV_AZURE_59:The public endpoint stays on because a Functions host outside a network needs it; shared keys are off, so only Entra ID principals with a role get in, and with VNet integration the firewall admits the app's subnet only.
  #checkov:skip=CKV2_AZURE_33:The host storage is reached over its service endpoint from the app's subnet; a private endpoint per storage service (blob, queue, table) would cost more than the rest of a short-lived environment.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys: a customer-managed key needs a Key Vault key and its rotation, out of proportion for the Functions host's leases and packages.
  #checkov:skip=CKV_AZURE_206:LRS is enough for data the host recreates (leases, keys) and packages the workflow redeploys.
  #checkov:skip=CKV_AZURE_33:Classic queue logging writes with shared-key access, which is disabled; the host polls its queues and leases constantly, so request logs would be costly noise for a short-lived environment.
  name                     = var.storage_account_name
  location                 = var.location
  resource_group_name      = var.resource_group_name
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = "LRS"

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  allow_nested_items_to_be_public   = false
  local_user_enabled                = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  public_network_access_enabled     = true

  network_rules {
    default_action             = var.vnet_integration == null ? "Allow" : "Deny"
    bypass                     = ["AzureServices"]
    virtual_network_subnet_ids = var.vnet_integration == null ? [] : [var.vnet_integration.subnet_id]
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  tags = var.tags
}

resource "azurerm_storage_container" "deployments" {
  #checkov:skip=CKV2_AZURE_21:Classic blob logging writes with shared-key access, which is disabled on the account; the container only holds deployment packages.
  count = local.is_flex ? 1 : 0

  name                  = "deployments"
  storage_account_id    = azurerm_storage_account.host.id
  container_access_type = "private"
}

# The host needs blobs (leases, keys, deployment packages), queues and tables (some triggers).
resource "azurerm_role_assignment" "host_storage" {
  for_each = toset(["Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"])

  scope                = azurerm_storage_account.host.id
  role_definition_name = each.key
  principal_id         = var.identity.principal_id
  principal_type       = "ServicePrincipal"
}

# ---------------------------------------------------------------------------------------------------------
# Flex Consumption (code)
# ---------------------------------------------------------------------------------------------------------

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_212:One instance per short-lived environment; Flex Consumption scales out on its own.
  #checkov:skip=CKV_AZURE_225:Zone redundancy is out of proportion for a per-branch environment.
  name                = var.service_plan_name
  location            = var.location
  resource_group_name = var.resource_group_name
  os_type             = "Linux"
  sku_name            = local.is_flex ? "FC1" : var.container_sku_name
  tags                = var.tags
}

resource "azurerm_function_app_flex_consumption" "this" {
  count = local.is_flex ? 1 : 0

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  runtime_name           = local.flex_runtime_name
  runtime_version        = var.runtime_version
  instance_memory_in_mb  = var.instance_memory_mb
  maximum_instance_count = var.maximum_instance_count

  # Deployment packages: a blob container read and written with the user-assigned identity.
  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.host.primary_blob_endpoint}${azurerm_storage_container.deployments[0].name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = var.identity.id

  https_only                                     = true
  public_network_access_enabled                  = true
  client_certificate_enabled                     = false
  webdeploy_publish_basic_authentication_enabled = false
  virtual_network_subnet_id                      = var.vnet_integration == null ? null : var.vnet_integration.subnet_id

  # The system-assigned identity resolves Key Vault references (see var.key_vault); the user-assigned one is
  # what the code and the host use for everything else.
  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = [var.identity.id]
  }

  app_settings = merge(local.app_settings, local.host_storage_settings, {
    AzureWebJobsStorage__accountName = azurerm_storage_account.host.name
    # The provider writes a key-based AzureWebJobsStorage connection string even for identity-based storage
    # (hashicorp/terraform-provider-azurerm#29693), with an empty key since the account has none, and the
    # host would try it. A user setting replaces the provider's when their names match case-insensitively;
    # an empty value makes the host (whose configuration keys are case-insensitive) use the identity-based
    # settings above. Upper case because the provider drops the exact name "AzureWebJobsStorage" when it
    # reads the app back: spelled that way, every plan would show app_settings as changed.
    AZUREWEBJOBSSTORAGE = ""
  })

  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    remote_debugging_enabled               = false
    vnet_route_all_enabled                 = var.vnet_integration != null
    application_insights_connection_string = local.application_insights_connection_string
  }

  tags = var.tags

  depends_on = [azurerm_role_assignment.host_storage]
}

# ---------------------------------------------------------------------------------------------------------
# Container (runtime_family docker) on a Basic plan
# ---------------------------------------------------------------------------------------------------------

resource "azurerm_linux_function_app" "this" {
  #checkov:skip=CKV_AZURE_221:The functions are the environment's public HTTP entry point; its data services are the ones kept private.
  count = local.is_docker ? 1 : 0

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  storage_account_name          = azurerm_storage_account.host.name
  storage_uses_managed_identity = true

  https_only                                     = true
  public_network_access_enabled                  = true
  client_certificate_enabled                     = false
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  key_vault_reference_identity_id                = var.identity.id
  virtual_network_subnet_id                      = var.vnet_integration == null ? null : var.vnet_integration.subnet_id

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity.id]
  }

  app_settings = merge(local.app_settings, local.host_storage_settings, {
    WEBSITES_PORT                       = tostring(var.app_port)
    WEBSITES_ENABLE_APP_SERVICE_STORAGE = "false"
  })

  site_config {
    always_on                              = true
    ftps_state                             = "Disabled"
    http2_enabled                          = true
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    remote_debugging_enabled               = false
    health_check_path                      = var.health_check_path
    health_check_eviction_time_in_min      = 10
    vnet_route_all_enabled                 = var.vnet_integration != null
    application_insights_connection_string = local.application_insights_connection_string
    app_command_line                       = var.startup_command

    container_registry_use_managed_identity       = true
    container_registry_managed_identity_client_id = var.identity.client_id

    application_stack {
      docker {
        registry_url = "https://${var.container_image.registry_login_server}"
        image_name   = split(":", var.container_image.name)[0]
        image_tag    = split(":", var.container_image.name)[1]
      }
    }
  }

  tags = var.tags

  lifecycle {
    # The deploy workflow moves the app to each new image tag; Terraform must not move it back.
    ignore_changes = [site_config[0].application_stack[0].docker[0].image_tag]
  }

  depends_on = [azurerm_role_assignment.host_storage]
}

# ---------------------------------------------------------------------------------------------------------
# Key Vault references of a Flex Consumption app, and diagnostics
# ---------------------------------------------------------------------------------------------------------

resource "azurerm_role_assignment" "key_vault_references" {
  count = local.is_flex && var.key_vault != null ? 1 : 0

  scope                = var.key_vault.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.this[0].identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "to-log-analytics"
  target_resource_id         = local.is_flex ? azurerm_function_app_flex_consumption.this[0].id : azurerm_linux_function_app.this[0].id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
