output "id" {
  description = "Resource id of the key vault."
  value       = azurerm_key_vault.this.id
}

output "name" {
  description = "Name of the key vault."
  value       = azurerm_key_vault.this.name
}

output "vault_uri" {
  description = "Data-plane URI of the vault (https://<name>.vault.azure.net/)."
  value       = azurerm_key_vault.this.vault_uri
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `key_vault`: secret_uris (secret name => versionless URI of each secret it stores from var.secrets, for Key Vault references @Microsoft.KeyVault(SecretUri=...) that always resolve the latest version)."
  value = {
    secret_uris = { for secret_name in local.secret_names : secret_name => azurerm_key_vault_secret.this[secret_name].versionless_id }
  }
}
