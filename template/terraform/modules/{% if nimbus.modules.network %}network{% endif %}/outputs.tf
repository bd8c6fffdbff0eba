output "id" {
  description = "Resource ID of the virtual network."
  value       = azurerm_virtual_network.this.id
}

output "name" {
  description = "Name of the virtual network."
  value       = azurerm_virtual_network.this.name
}

output "app_subnet_id" {
  description = "Resource ID of the app subnet (delegated as requested), available once its network security group is attached."
  value       = azurerm_subnet.app.id
  depends_on  = [azurerm_subnet_network_security_group_association.app, azurerm_network_security_rule.app_https_inbound]
}

output "private_endpoint_subnet_id" {
  description = "Resource ID of the private endpoint subnet, available once its network security group is attached."
  value       = azurerm_subnet.private_endpoints.id
  depends_on  = [azurerm_subnet_network_security_group_association.private_endpoints]
}

output "private_dns_zone_ids" {
  description = "Private DNS zone name => zone resource ID, available once the zones are linked to the network."
  value       = { for name, zone in azurerm_private_dns_zone.this : name => zone.id }
  depends_on  = [azurerm_private_dns_zone_virtual_network_link.this]
}
