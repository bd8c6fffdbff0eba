variable "name" {
  type        = string
  nullable    = false
  description = "Name of the virtual network; subnets and network security groups are named after it (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,53}[A-Za-z0-9_]$", var.name))
    error_message = "name must be 2-55 letters, digits, '_', '.' and '-', starting with a letter or digit (the network security groups add 9 characters)."
  }
}

variable "location" {
  type        = string
  nullable    = false
  description = "Azure region of the network."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*$", var.location))
    error_message = "location must be an Azure region short name such as eastus (lowercase letters and digits)."
  }
}

variable "resource_group_name" {
  type        = string
  nullable    = false
  description = "Resource group of the environment."

  validation {
    condition     = can(regex("^[-\\w.()]{0,89}[-\\w()]$", var.resource_group_name))
    error_message = "resource_group_name must be 1-90 characters (letters, digits, '-', '_', '.', '(', ')') and must not end with '.'."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "Tags of every resource the module creates."

  validation {
    condition     = alltrue([for key, value in var.tags : length(key) <= 512 && length(value) <= 256])
    error_message = "Tag names must be at most 512 characters and tag values at most 256."
  }
}

variable "address_space" {
  type        = string
  default     = "10.20.0.0/16"
  nullable    = false
  description = "Address space of the network, /16 to /23: the app subnet is its first /24, the private endpoint subnet its second."

  validation {
    condition     = can(regex("^[0-9.]+/(1[6-9]|2[0-3])$", var.address_space)) && can(cidrhost(var.address_space, 0))
    error_message = "address_space must be an IPv4 CIDR range from /16 to /23."
  }
}

variable "app_subnet_delegation" {
  type        = string
  nullable    = false
  description = "Service the app subnet is delegated to: Microsoft.Web/serverFarms (App Service, or a Function App on an App Service plan) or Microsoft.App/environments (Container Apps, Flex Consumption Function Apps)."

  validation {
    condition     = contains(["Microsoft.Web/serverFarms", "Microsoft.App/environments"], var.app_subnet_delegation)
    error_message = "app_subnet_delegation must be Microsoft.Web/serverFarms or Microsoft.App/environments."
  }
}

variable "app_subnet_service_endpoints" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Service endpoints of the app subnet, for Azure services the app reaches through their firewall instead of a private endpoint (Microsoft.Storage for the Functions host storage)."

  validation {
    condition     = alltrue([for endpoint in var.app_subnet_service_endpoints : can(regex("^Microsoft\\.[A-Za-z]+$", endpoint))])
    error_message = "app_subnet_service_endpoints must hold service names such as Microsoft.Storage."
  }
}

variable "allow_https_inbound_to_app_subnet" {
  type        = bool
  default     = false
  nullable    = false
  description = "Allow HTTPS (443) from the internet into the app subnet. A Container Apps environment with external ingress needs it: its load balancer forwards client traffic to nodes inside the subnet. App Service and Functions receive their traffic outside the subnet."

  validation {
    condition     = var.allow_https_inbound_to_app_subnet == true || var.allow_https_inbound_to_app_subnet == false
    error_message = "allow_https_inbound_to_app_subnet must be true or false."
  }
}

variable "private_dns_zone_names" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Private DNS zones (privatelink.*) to create and link to the network, one per kind of private endpoint the environment has."

  validation {
    condition     = alltrue([for zone in var.private_dns_zone_names : can(regex("^privatelink\\.[a-z0-9.-]+[a-z]$", zone))])
    error_message = "private_dns_zone_names must hold privatelink.* zone names, for example privatelink.vaultcore.azure.net."
  }
}
