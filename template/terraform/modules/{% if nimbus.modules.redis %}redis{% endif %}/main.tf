locals {
  # One switch drives the network mode: a private endpoint means no public endpoint at all.
  public_access = var.private_endpoint == null
}

# Azure Managed Redis (Azure Cache for Redis is being retired). TLS only, Entra ID authentication by
# default; data is not persisted (a cache that is emptied on a restart is fine for a branch).
resource "azurerm_managed_redis" "this" {
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  sku_name                  = var.sku_name
  high_availability_enabled = var.high_availability_enabled
  public_network_access     = local.public_access ? "Enabled" : "Disabled"

  default_database {
    client_protocol                    = "Encrypted"
    clustering_policy                  = var.clustering_policy
    access_keys_authentication_enabled = var.access_keys_authentication_enabled
  }
}

# Data access for the app's managed identity (Redis user = the identity's object id, password = an
# Entra ID token), through the database's default access policy.
resource "azurerm_managed_redis_access_policy_assignment" "app" {
  managed_redis_id = azurerm_managed_redis.this.id
  object_id        = var.app_principal_id
}

resource "azurerm_private_endpoint" "this" {
  count = local.public_access ? 0 : 1

  name                          = "pe-${var.name}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  tags                          = var.tags
  subnet_id                     = var.private_endpoint.subnet_id
  custom_network_interface_name = "nic-pe-${var.name}"

  private_service_connection {
    name                           = "psc-${var.name}"
    private_connection_resource_id = azurerm_managed_redis.this.id
    subresource_names              = ["redisEnterprise"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_endpoint.private_dns_zone_id]
  }
}

# Connection audit events (connect, authenticate, disconnect) are emitted by the database.
resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "diag-${var.name}"
  target_resource_id         = "${azurerm_managed_redis.this.id}/databases/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }
}
