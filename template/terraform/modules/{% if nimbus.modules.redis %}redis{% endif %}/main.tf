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

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_managed_redis.this.id
  subresource_name    = "redisEnterprise"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id
}

# Connection audit events (connect, authenticate, disconnect) are emitted by the database.
module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}"
  target_resource_id         = "${azurerm_managed_redis.this.id}/databases/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
