output "id" {
  description = "Resource id of the Azure Managed Redis instance."
  value       = azurerm_managed_redis.this.id
}

output "app_settings" {
  description = "How the app reaches Redis, the object modules/app_settings takes as input `redis`: host (resolves to the private endpoint inside the virtual network in private mode), port (the TLS port of the database, 10000), auth_mode (entra_id: the app signs in as its identity with username and an Entra ID token for https://redis.azure.com/.default; access_key when access_keys_authentication_enabled), username (the object id of the app's identity), access_key (the primary key, null unless access_keys_authentication_enabled; the only secret: it stays sensitive for the caller)."
  value = {
    host       = azurerm_managed_redis.this.hostname
    port       = azurerm_managed_redis.this.default_database[0].port
    auth_mode  = var.access_keys_authentication_enabled ? "access_key" : "entra_id"
    username   = azurerm_managed_redis_access_policy_assignment.app.object_id
    access_key = var.access_keys_authentication_enabled ? azurerm_managed_redis.this.default_database[0].primary_access_key : null
  }
  sensitive = true
}
