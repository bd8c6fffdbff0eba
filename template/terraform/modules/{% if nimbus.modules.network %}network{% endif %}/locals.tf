# The environment's private network: one subnet the app integrates with (outbound traffic, or the Container
# Apps environment itself), one subnet for the data services' private endpoints, a network security group on
# each, and the private DNS zones that make the services' usual host names resolve to their private endpoints.

locals {
  app_subnet_prefix              = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 0)
  private_endpoint_subnet_prefix = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 1)
}
