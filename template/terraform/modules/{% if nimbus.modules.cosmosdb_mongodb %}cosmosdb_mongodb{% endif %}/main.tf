# Serverless: billed per request unit consumed and per GB stored, nothing while idle, which suits a
# per-branch environment. The free tier is deliberately off: a subscription gets a single free-tier
# account, so the second environment would fail to deploy.
resource "azurerm_cosmosdb_account" "this" {
  #checkov:skip=CKV_AZURE_132:MongoDB apps create collections and indexes with the account key from the connection string; refusing key-based metadata writes breaks them.
  #checkov:skip=CKV_AZURE_99:No IP or virtual network filter: public mode is public by design (TLS plus account key; the app's outbound addresses are shared and change), private endpoint mode turns public network access off.
  #checkov:skip=CKV_AZURE_100:Customer-managed keys need a key vault key and identity per environment; data is encrypted at rest with Microsoft-managed keys.
  #checkov:skip=CKV_AZURE_101:public_network_access_enabled is false whenever a private endpoint is set; public network mode is public by design (TLS and account key). Skipped explicitly because checkov mis-evaluates the null comparison that selects the mode.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  kind                 = "MongoDB"
  offer_type           = "Standard"
  mongo_server_version = var.mongo_server_version
  free_tier_enabled    = false

  capabilities {
    name = "EnableServerless"
  }

  capabilities {
    name = "EnableMongo"
  }

  consistency_policy {
    consistency_level = var.consistency_level
  }

  geo_location {
    location          = var.location
    failover_priority = 0
    zone_redundant    = false
  }

  minimal_tls_version = "Tls12"

  # MongoDB (RU) clients authenticate with the account keys inside the connection string; Entra ID
  # data-plane authentication does not exist for this API, so local (key) authentication must stay on.
  local_authentication_enabled = true
  # Apps create collections and indexes on the fly with the same key; refusing key-based metadata
  # writes would break them.
  access_key_metadata_writes_enabled = true

  public_network_access_enabled = local.public_access
}

resource "azurerm_cosmosdb_mongo_database" "app" {
  name                = var.database_name
  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
  # No throughput: serverless accounts bill per request.
}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_cosmosdb_account.this.id
  subresource_name    = "MongoDB"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}"
  target_resource_id         = azurerm_cosmosdb_account.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
