resource "random_password" "administrator" {
  length           = 32
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
  min_special      = 2
  override_special = "-_" # safe unquoted in JDBC URLs, connection strings and shells
}

resource "azurerm_postgresql_flexible_server" "this" {
  #checkov:skip=CKV_AZURE_136:Geo-redundant backups double backup storage cost for a disposable per-branch environment; point-in-time restore stays available in-region.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  version    = var.postgresql_version
  sku_name   = var.sku_name
  storage_mb = var.storage_mb

  administrator_login    = var.administrator_login
  administrator_password = random_password.administrator.result

  # Point-in-time restore inside the region only: geo-redundant backups double the backup storage cost
  # and cannot be changed after creation; an environment per branch is disposable.
  backup_retention_days        = var.backup_retention_days
  geo_redundant_backup_enabled = false
  auto_grow_enabled            = true

  public_network_access_enabled = local.public_access

  authentication {
    password_auth_enabled         = true
    active_directory_auth_enabled = false
  }

  lifecycle {
    # Azure picks an availability zone when none is given; do not fight it on later plans.
    ignore_changes = [zone]
  }
}

# TLS is on by default on flexible servers; pinning the parameters keeps it from being switched off.
resource "azurerm_postgresql_flexible_server_configuration" "require_secure_transport" {
  name      = "require_secure_transport"
  server_id = azurerm_postgresql_flexible_server.this.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_configuration" "ssl_min_protocol_version" {
  name      = "ssl_min_protocol_version"
  server_id = azurerm_postgresql_flexible_server.this.id
  value     = "TLSv1.2"

  # One change at a time: a flexible server refuses concurrent operations ("server is busy").
  depends_on = [azurerm_postgresql_flexible_server_configuration.require_secure_transport]
}

resource "azurerm_postgresql_flexible_server_database" "app" {
  name      = var.database_name
  server_id = azurerm_postgresql_flexible_server.this.id
  charset   = "UTF8"
  collation = "en_US.utf8"

  depends_on = [azurerm_postgresql_flexible_server_configuration.ssl_min_protocol_version]
}

# Public mode only: the special 0.0.0.0 rule lets Azure-hosted clients (the app on App Service,
# Container Apps or Functions, whose outbound addresses change) reach the server. It admits any
# Azure tenant's traffic to the login prompt, so the password is the control. Private endpoint mode
# has no firewall rule and no public endpoint.
resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  #checkov:skip=CKV2_AZURE_26:Public network mode only (count = 0 with a private endpoint): the 0.0.0.0 'Azure services' rule is how Azure-hosted apps with changing outbound IPs reach the server; TLS and a generated 32-character password protect it.
  count = local.public_access ? 1 : 0

  name             = "AllowAllAzureServicesAndResourcesWithinAzureIps"
  server_id        = azurerm_postgresql_flexible_server.this.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"

  depends_on = [azurerm_postgresql_flexible_server_database.app]
}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_postgresql_flexible_server.this.id
  subresource_name    = "postgresqlServer"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id

  # The endpoint connection is approved on the server: wait for the server's own changes to finish.
  depends_on = [azurerm_postgresql_flexible_server_database.app]
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}"
  target_resource_id         = azurerm_postgresql_flexible_server.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
