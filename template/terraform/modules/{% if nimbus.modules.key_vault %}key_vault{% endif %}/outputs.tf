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

output "secret_uris" {
  description = "Secret name => versionless secret URI, for Key Vault references (@Microsoft.KeyVault(SecretUri=...)) that always resolve the latest version."
  value       = local.secret_uris
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `key_vault`: the URIs of the secrets it stores (var.secrets), for Key Vault references."
  value = {
    secret_uris = local.secret_uris
  }
}
