# One private endpoint of a service, registered in the service's private DNS zone (network = vnet). Every data
# module calls this module (with count = 0 in public mode) instead of declaring its own endpoint.
resource "azurerm_private_endpoint" "this" {
  name                          = "pe-${var.name}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  tags                          = var.tags
  subnet_id                     = var.subnet_id
  custom_network_interface_name = "nic-pe-${var.name}"

  private_service_connection {
    name                           = "psc-${var.name}"
    private_connection_resource_id = var.resource_id
    subresource_names              = [var.subresource_name]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}
