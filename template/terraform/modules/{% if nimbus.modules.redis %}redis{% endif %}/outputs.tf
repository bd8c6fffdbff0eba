output "id" {
  description = "Resource id of the Azure Managed Redis instance."
  value       = azurerm_managed_redis.this.id
}

output "host" {
  description = "Host name of the instance (resolves to the private endpoint inside the virtual network in private mode)."
  value       = azurerm_managed_redis.this.hostname
}

output "port" {
  description = "TLS port of the database (10000)."
  value       = azurerm_managed_redis.this.default_database[0].port
}

output "ssl" {
  description = "Always true: the database only accepts TLS connections."
  value       = true
}

output "auth_mode" {
  description = "entra_id: the app signs in as its managed identity (user name = username, password = an Entra ID token for https://redis.azure.com/.default). access_key: the access key is also accepted."
  value       = local.auth_mode
}

output "username" {
  description = "Redis user name for Entra ID authentication: the object id of the app's identity."
  value       = azurerm_managed_redis_access_policy_assignment.app.object_id
}

output "access_key" {
  description = "Primary access key of the database; null unless access_keys_authentication_enabled."
  value       = local.access_key
  sensitive   = true
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `redis`; only its access_key is a secret."
  value = {
    host       = azurerm_managed_redis.this.hostname
    port       = azurerm_managed_redis.this.default_database[0].port
    auth_mode  = local.auth_mode
    username   = azurerm_managed_redis_access_policy_assignment.app.object_id
    access_key = local.access_key
  }
  sensitive = true
}
