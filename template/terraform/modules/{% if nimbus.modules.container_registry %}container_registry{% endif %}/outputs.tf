output "id" {
  description = "Resource ID of the registry."
  value       = azurerm_container_registry.this.id
}

output "name" {
  description = "Name of the registry (az acr login --name)."
  value       = azurerm_container_registry.this.name
}

output "login_server" {
  description = "Login server (<name>.azurecr.io). Available once the app's AcrPull assignment exists, so that whatever pulls with it waits for the role."
  value       = azurerm_container_registry.this.login_server
  depends_on  = [azurerm_role_assignment.pull]
}
