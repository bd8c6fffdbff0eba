output "id" {
  description = "Resource id of the private endpoint."
  value       = azurerm_private_endpoint.this.id
}
