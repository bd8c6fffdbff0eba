output "id" {
  description = "Resource ID of the Function App."
  value       = local.is_flex ? azurerm_function_app_flex_consumption.this[0].id : azurerm_linux_function_app.this[0].id
}

output "name" {
  description = "Name of the Function App (what deployments target)."
  value       = local.is_flex ? azurerm_function_app_flex_consumption.this[0].name : azurerm_linux_function_app.this[0].name
}

output "url" {
  description = "HTTPS URL of the Function App."
  value       = "https://${local.is_flex ? azurerm_function_app_flex_consumption.this[0].default_hostname : azurerm_linux_function_app.this[0].default_hostname}"
}

output "plan" {
  description = "Hosting plan: \"flex_consumption\" (code packages) or \"container\" (an image on a Basic plan)."
  value       = local.is_flex ? "flex_consumption" : "container"
}

output "storage_account_name" {
  description = "Name of the Functions host storage account."
  value       = azurerm_storage_account.host.name
}

output "deployment_container_url" {
  description = "Blob container holding Flex Consumption deployment packages (null for a container app)."
  value       = local.is_flex ? "${azurerm_storage_account.host.primary_blob_endpoint}${azurerm_storage_container.deployments[0].name}" : null
}

output "outbound_ip_addresses" {
  description = "Every public IP address the app may call out from (for firewall rules of services outside the environment's network)."
  value       = local.is_flex ? azurerm_function_app_flex_consumption.this[0].possible_outbound_ip_address_list : azurerm_linux_function_app.this[0].possible_outbound_ip_address_list
}
