data "azurerm_client_config" "current" {}

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_189:Off whenever a private endpoint is set and allowed_ip_ranges is empty; with ranges (the CI runner) the firewall denies everything else. Public network mode is public by design, guarded by Entra ID RBAC (see this module's README).
  #checkov:skip=CKV_AZURE_110:Purge protection is a variable, off by default: per-branch environments are deleted and re-created, and a purge-protected vault keeps its globally unique name taken for the retention period (see this module's README).
  #checkov:skip=CKV_AZURE_42:Soft delete is always on (7 days); "recoverable" additionally demands purge protection, off by default for the reason given for CKV_AZURE_110.
  #checkov:skip=CKV2_AZURE_32:Public network mode has no private endpoint by design (Entra ID RBAC guards the vault); network = vnet gives the vault one through modules/private_endpoint, a module call checkov's graph does not follow when its count is 0.
  #checkov:skip=CKV_AZURE_109:Mode-dependent by design: private endpoint mode denies by default (only allowed_ip_ranges and trusted services pass); public network mode allows all networks and relies on Entra ID RBAC. Skipped explicitly because checkov mis-evaluates the null comparison that selects the mode.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = var.sku_name
  rbac_authorization_enabled = true

  soft_delete_retention_days = var.soft_delete_retention_days
  purge_protection_enabled   = var.purge_protection_enabled

  public_network_access_enabled = local.public_network_access_enabled

  # Public mode: the vault is reachable from anywhere and Entra ID RBAC is the control, because the
  # app's outbound addresses (App Service, Container Apps, Functions without a virtual network) are
  # shared and change. Private endpoint mode: deny by default, allow only allowed_ip_ranges and
  # trusted Azure services.
  network_acls {
    default_action = local.public_access ? "Allow" : "Deny"
    bypass         = "AzureServices"
    ip_rules       = local.public_access ? [] : var.allowed_ip_ranges
  }

  # allowed_ip_ranges is used when the vault is created. After that, whoever runs Terraform (scripts/gitops.py)
  # admits its own address for the length of one run and removes it again, so the addresses in the firewall
  # change outside Terraform on purpose: a drift check must not report them, and an apply must not re-add a
  # runner's address for good.
  lifecycle {
    ignore_changes = [network_acls[0].ip_rules]
  }
}

resource "azurerm_role_assignment" "app_secrets_user" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = var.app_principal_id
  principal_type       = "ServicePrincipal"
}

# Writing secrets is a data-plane permission under RBAC. The identity running Terraform holds
# "Key Vault Secrets Officer" at subscription scope (scripts/gitops.py setup grants it to the CI identity;
# docs/security.md says how a person gets it), so a new vault is writable at once: no role assignment here
# to wait for.

# Expiration dates that stay stable between plans and move forward by themselves: the base time is
# renewed by the first apply after half the lifetime.
resource "time_rotating" "secret_expiration" {
  rotation_days = floor(var.secret_expiration_days / 2)
}

resource "azurerm_key_vault_secret" "this" {
  for_each = local.secret_names

  name            = each.key
  value           = var.secrets[each.key]
  key_vault_id    = azurerm_key_vault.this.id
  content_type    = "text/plain"
  expiration_date = timeadd(time_rotating.secret_expiration.rfc3339, "${var.secret_expiration_days * 24}h")

}

module "private_endpoint" {
  source = "../private_endpoint"
  count  = local.public_access ? 0 : 1

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
  resource_id         = azurerm_key_vault.this.id
  subresource_name    = "vault"
  subnet_id           = var.private_endpoint.subnet_id
  private_dns_zone_id = var.private_endpoint.private_dns_zone_id
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "diag-${var.name}"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
