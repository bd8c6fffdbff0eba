output "id" {
  description = "Resource ID of the Web App."
  value       = azurerm_linux_web_app.this.id
}

output "name" {
  description = "Name of the Web App (what deployments target)."
  value       = azurerm_linux_web_app.this.name
}

output "url" {
  description = "HTTPS URL of the app."
  value       = "https://${azurerm_linux_web_app.this.default_hostname}"
}

output "service_plan_id" {
  description = "Resource ID of the App Service plan."
  value       = azurerm_service_plan.this.id
}

output "outbound_ip_addresses" {
  description = "Every public IP address the app may call out from (for firewall rules of services outside the environment's network)."
  value       = azurerm_linux_web_app.this.possible_outbound_ip_address_list
}
