# No account keys or connection strings are exported: shared key access is disabled and the app
# authenticates with its managed identity.

output "id" {
  description = "Resource id of the storage account."
  value       = azurerm_storage_account.this.id
}

output "account_name" {
  description = "Name of the storage account."
  value       = azurerm_storage_account.this.name
}

output "blob_endpoint" {
  description = "Blob service endpoint (https://<account>.blob.core.windows.net/); resolves to the private endpoint inside the virtual network in private mode."
  value       = azurerm_storage_account.this.primary_blob_endpoint
}

output "container_name" {
  description = "Name of the app's container."
  value       = azurerm_storage_container.this.name
}

output "container_id" {
  description = "Resource id of the app's container (the scope of the app's role assignment)."
  value       = azurerm_storage_container.this.id
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `storage_blob` (no secret: the app uses its identity)."
  value = {
    blob_endpoint  = azurerm_storage_account.this.primary_blob_endpoint
    container_name = azurerm_storage_container.this.name
  }
}
