# The environment's container registry: the deploy workflow pushes the app's image here, the app pulls it
# with its user-assigned identity. No admin user, no anonymous pull, no password anywhere.
resource "azurerm_container_registry" "this" {
  #checkov:skip=CKV_AZURE_139:The registry keeps its public endpoint: GitHub-hosted runners push from changing internet addresses, and a private endpoint needs the Premium SKU. Access is Entra ID RBAC only (admin user off, anonymous pull off).
  #checkov:skip=CKV_AZURE_165:Geo-replication is a Premium feature, out of proportion for a per-branch environment whose images are rebuilt on every push.
  #checkov:skip=CKV_AZURE_166:Image quarantine is a Premium feature; images come only from the environment's own workflow.
  #checkov:skip=CKV_AZURE_167:Untagged-manifest retention is a Premium feature; the registry is deleted with its short-lived environment.
  #checkov:skip=CKV_AZURE_163:Vulnerability scanning is Microsoft Defender for Containers, a subscription-level plan rather than a registry setting.
  #checkov:skip=CKV_AZURE_164:Content trust (trust_policy_enabled) was removed from the azurerm provider in 5.0.
  #checkov:skip=CKV_AZURE_233:Zone redundancy is a Premium feature, out of proportion for a per-branch environment.
  #checkov:skip=CKV_AZURE_237:Dedicated data endpoints are a Premium feature, used with private endpoints and firewall rules.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = var.sku

  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = true

  tags = var.tags
}

resource "azurerm_role_assignment" "pull" {
  scope                = azurerm_container_registry.this.id
  role_definition_name = "AcrPull"
  principal_id         = var.pull_principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "push" {
  count = length(var.push_principal_ids)

  scope                = azurerm_container_registry.this.id
  role_definition_name = "AcrPush"
  principal_id         = var.push_principal_ids[count.index]
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "to-log-analytics"
  target_resource_id         = azurerm_container_registry.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
