resource "random_password" "administrator" {
  length           = 32
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
  min_special      = 2
  override_special = "-_" # safe unquoted in JDBC URLs, connection strings and shells
}

resource "azurerm_mysql_flexible_server" "this" {
  #checkov:skip=CKV_AZURE_94:Geo-redundant backups double backup storage cost for a disposable per-branch environment; point-in-time restore stays available in-region.
  #checkov:skip=CKV_AZURE_53:checkov reads public_network_access_enabled, which azurerm 5.0 removed from this resource; public_network_access below is Disabled whenever a private endpoint is set (public mode is public by design, see this module's README).
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  version  = var.mysql_version
  sku_name = var.sku_name

  administrator_login    = var.administrator_login
  administrator_password = random_password.administrator.result

  # Point-in-time restore inside the region only: geo-redundant backups double the backup storage cost
  # and cannot be changed after creation; an environment per branch is disposable.
  backup_retention_days        = var.backup_retention_days
  geo_redundant_backup_enabled = false

  public_network_access = local.public_access ? "Enabled" : "Disabled"

  storage {
    size_gb           = var.storage_size_gb
    auto_grow_enabled = true
  }

  lifecycle {
    # Azure picks an availability zone when none is given; do not fight it on later plans.
    ignore_changes = [zone]
  }
}

# TLS is required by default on flexible servers; pinning the parameter keeps it from being switched off.
resource "azurerm_mysql_flexible_server_configuration" "require_secure_transport" {
  name                = "require_secure_transport"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this.name
  value               = "ON"
}

resource "azurerm_mysql_flexible_database" "app" {
  name                = var.database_name
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this.name
  charset             = "utf8mb4"
  collation           = "utf8mb4_unicode_ci"

  # One change at a time: a flexible server refuses concurrent operations ("server is busy").
  depends_on = [azurerm_mysql_flexible_server_configuration.require_secure_transport]
}

# Public mode only: the special 0.0.0.0 rule lets Azure-hosted clients (the app on App Service,
# Container Apps or Functions, whose outbound addresses change) reach the server. It admits any
# Azure tenant's traffic to the login prompt, so TLS and the password are the control. Private
# endpoint mode has no firewall rule and no public endpoint.
resource "azurerm_mysql_flexible_server_firewall_rule" "azure_services" {
  count = local.public_access ? 1 : 0

  name                = "AllowAllAzureServicesAndResourcesWithinAzureIps"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this.name
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"

  depends_on = [azurerm_mysql_flexible_database.app]
}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_mysql_flexible_server.this.id
  subresource_name    = "mysqlServer"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id

  # The endpoint connection is approved on the server: wait for the server's own changes to finish.
  depends_on = [azurerm_mysql_flexible_database.app]
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}"
  target_resource_id         = azurerm_mysql_flexible_server.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
