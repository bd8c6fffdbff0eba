output "app_settings" {
  description = "Settings that hold no secret, name => value (App Service / Functions app settings, Container Apps environment variables)."
  value       = local.settings

  precondition {
    condition     = length(local.collisions) == 0
    error_message = "${join("; ", local.collisions)}: remove or rename it in terraform/environments/*.tfvars (docs/reference/app-settings.md lists the managed names)."
  }
}

output "secret_app_settings" {
  description = "Settings that carry a secret, name => value for App Service and Functions: a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)) when var.key_vault is set, else the secret itself."
  value = {
    for setting, secret in local.secret_settings : setting => (
      var.key_vault == null ? local.secrets[secret] : "@Microsoft.KeyVault(SecretUri=${var.key_vault.secret_uris[secret]})"
    )
  }
  sensitive = true
}

output "secrets" {
  description = "Secret name => value of every secret a setting carries: what the key_vault module stores. Depends on the service inputs only (not on var.key_vault)."
  value       = local.secrets
  sensitive   = true
}

output "secret_environment_variables" {
  description = "Setting name => secret name, for Container Apps environment variables that reference a Container Apps secret."
  value       = local.secret_settings
}

output "container_app_secrets" {
  description = "Secret name => { value, key_vault_secret_id }, for Container Apps secrets: a Key Vault reference (read with the app's identity) when var.key_vault is set, else the value."
  value = {
    for name, value in local.secrets : name => {
      value               = var.key_vault == null ? value : null
      key_vault_secret_id = var.key_vault == null ? null : var.key_vault.secret_uris[name]
    }
  }
  sensitive = true
}
