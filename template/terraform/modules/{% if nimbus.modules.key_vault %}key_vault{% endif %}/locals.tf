locals {
  public_access = var.private_endpoint == null
  # Private endpoint mode keeps the public endpoint only as a firewall hole for allowed_ip_ranges
  # (the CI runner writing secrets); with no such range it is switched off.
  public_network_access_enabled = local.public_access || length(var.allowed_ip_ranges) > 0

  # Secret names are not secret: they become resource addresses and output keys. Only the values
  # stay sensitive (for_each refuses sensitive keys).
  secret_names = nonsensitive(toset(keys(var.secrets)))
  secret_uris  = { for secret_name in local.secret_names : secret_name => azurerm_key_vault_secret.this[secret_name].versionless_id }
}
