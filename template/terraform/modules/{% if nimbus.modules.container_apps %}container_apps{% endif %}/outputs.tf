output "id" {
  description = "Resource ID of the Container App."
  value       = azurerm_container_app.this.id
}

output "name" {
  description = "Name of the Container App (what deployments target)."
  value       = azurerm_container_app.this.name
}

output "url" {
  description = "HTTPS URL of the app."
  value       = "https://${azurerm_container_app.this.ingress[0].fqdn}"
}

output "environment_id" {
  description = "Resource ID of the Container Apps environment."
  value       = azurerm_container_app_environment.this.id
}

output "environment_name" {
  description = "Name of the Container Apps environment."
  value       = azurerm_container_app_environment.this.name
}

output "outbound_ip_addresses" {
  description = "Public IP addresses the app calls out from."
  value       = azurerm_container_app.this.outbound_ip_addresses
}
