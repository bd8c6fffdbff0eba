# The environment's Log Analytics workspace: every other module sends its logs and metrics here.
resource "azurerm_log_analytics_workspace" "this" {
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = "PerGB2018"
  retention_in_days   = var.retention_in_days
  daily_quota_gb      = var.daily_quota_gb

  # Entra ID only, unless a Container Apps environment ships its logs with the workspace key.
  local_authentication_enabled = var.local_authentication_enabled
  # Readers need rights on the workspace itself, not only on the resources whose logs it holds.
  allow_resource_only_permissions = false

  tags = var.tags
}
