# Workspace-based Application Insights: telemetry is stored in the environment's Log Analytics
# workspace (retention and cost are the workspace's). Private ingestion would need an Azure Monitor
# Private Link Scope, shared by the whole workspace; telemetry goes to the public ingestion endpoint
# over TLS instead, in both network modes (so the module takes no private_endpoint).
resource "azurerm_application_insights" "this" {
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  application_type = var.application_type
  workspace_id     = var.log_analytics_workspace_id

  local_authentication_enabled = var.local_authentication_enabled
  internet_ingestion_enabled   = true
  internet_query_enabled       = true

  daily_data_cap_in_gb = var.daily_data_cap_in_gb
  sampling_percentage  = var.sampling_percentage
}

# Lets the app send Entra ID-authenticated telemetry, so local authentication can be switched off
# (var.local_authentication_enabled = false) without touching role assignments.
resource "azurerm_role_assignment" "app_metrics_publisher" {
  scope                = azurerm_application_insights.this.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = var.app_principal_id
  principal_type       = "ServicePrincipal"
}
