resource "random_password" "administrator" {
  length           = 32
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
  min_special      = 2
  override_special = "-_" # safe unquoted in JDBC URLs, ADO.NET connection strings and shells
}

resource "azurerm_mssql_server" "this" {
  #checkov:skip=CKV2_AZURE_2:Vulnerability assessment needs Microsoft Defender for SQL (billed per server per month) plus a storage account; not worth it for a disposable per-branch environment. Enable Defender for SQL at subscription level to cover every environment.
  #checkov:skip=CKV_AZURE_24:Audit events go to Log Analytics (log_monitoring_enabled); their retention is the workspace's. retention_in_days only applies to a storage account target, which is not used.
  #checkov:skip=CKV_AZURE_113:public_network_access_enabled is false whenever a private endpoint is set; public network mode is public by design (TLS 1.2, password, 'Azure services' rule). Skipped explicitly because checkov mis-evaluates the null comparison that selects the mode.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  version                      = "12.0"
  administrator_login          = var.administrator_login
  administrator_login_password = random_password.administrator.result
  minimum_tls_version          = "1.2"

  public_network_access_enabled = local.public_access

  dynamic "azuread_administrator" {
    for_each = var.entra_administrator == null ? [] : [var.entra_administrator]

    content {
      login_username              = azuread_administrator.value.login_username
      object_id                   = azuread_administrator.value.object_id
      azuread_authentication_only = false # the app signs in with the SQL login
    }
  }
}

resource "azurerm_mssql_database" "app" {
  #checkov:skip=CKV_AZURE_224:Ledger makes every table a ledger table for good (history tables, unsupported column types, cannot be turned off); wrong default for an arbitrary app. Turn it on per table where tamper evidence is required.
  #checkov:skip=CKV_AZURE_229:Zone redundancy is not offered for the Basic and cheap serverless tiers used for per-branch environments.
  name      = var.database_name
  server_id = azurerm_mssql_server.this.id
  tags      = var.tags

  sku_name    = var.sku_name
  max_size_gb = var.max_size_gb
  collation   = "SQL_Latin1_General_CP1_CI_AS"

  # Locally redundant backup storage: geo-redundant backups cost more and a per-branch environment is
  # disposable. Point-in-time restore (7 days by default) stays available.
  storage_account_type = "Local"
  zone_redundant       = false

  auto_pause_delay_in_minutes = local.serverless ? var.auto_pause_delay_in_minutes : null
  min_capacity                = local.serverless ? var.min_capacity : null
}

# Auditing: server-level audit events (every database) go to the environment's Log Analytics
# workspace, through a diagnostic setting on the master database as Azure requires.
module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}-audit"
  target_resource_id         = "${azurerm_mssql_server.this.id}/databases/master"
  log_analytics_workspace_id = var.log_analytics_workspace_id
  log_category_groups        = []
  log_categories             = ["SQLSecurityAuditEvents"]
}

resource "azurerm_mssql_server_extended_auditing_policy" "this" {
  server_id              = azurerm_mssql_server.this.id
  log_monitoring_enabled = true

  depends_on = [module.diagnostic_setting]
}

# Public mode only: the special 0.0.0.0 rule ("Allow Azure services and resources to access this
# server") lets Azure-hosted clients with changing outbound addresses (App Service, Container Apps,
# Functions) reach the server; TLS 1.2 and the password are the control. Private endpoint mode has
# no firewall rule and no public endpoint.
resource "azurerm_mssql_firewall_rule" "azure_services" {
  #checkov:skip=CKV2_AZURE_34:Public network mode only (count = 0 with a private endpoint): the 0.0.0.0 'Azure services' rule is how Azure-hosted apps with changing outbound IPs reach the server; TLS 1.2 and a generated 32-character password protect it.
  count = local.public_access ? 1 : 0

  name             = "AllowAllWindowsAzureIps"
  server_id        = azurerm_mssql_server.this.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_mssql_server.this.id
  subresource_name    = "sqlServer"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id
}
