variable "name" {
  type        = string
  nullable    = false
  description = "Name of the service the endpoint leads to; the endpoint is pe-<name>, its network interface nic-pe-<name>."

  validation {
    condition     = length(var.name) > 0 && length(var.name) <= 70
    error_message = "name must be 1-70 characters (the endpoint's name is pe-<name>, at most 80)."
  }
}

variable "location" {
  type        = string
  nullable    = false
  description = "Azure region short name (for example eastus)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*$", var.location))
    error_message = "location must be an Azure region short name such as eastus (lowercase letters and digits)."
  }
}

variable "resource_group_name" {
  type        = string
  nullable    = false
  description = "Name of the existing resource group the endpoint is created in."

  validation {
    condition     = can(regex("^[-\\w.()]{0,89}[-\\w()]$", var.resource_group_name))
    error_message = "resource_group_name must be 1-90 characters (letters, digits, '-', '_', '.', '(', ')') and must not end with '.'."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "Tags of the endpoint."

  validation {
    condition     = length(var.tags) <= 50 && alltrue([for key, value in var.tags : length(key) <= 512 && length(value) <= 256])
    error_message = "tags allows at most 50 tags, with keys up to 512 and values up to 256 characters."
  }
}

variable "resource_id" {
  type        = string
  nullable    = false
  description = "Resource id of the service the endpoint connects to."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/.+$", var.resource_id))
    error_message = "resource_id must be an Azure resource id (/subscriptions/.../providers/...)."
  }
}

variable "subresource_name" {
  type        = string
  nullable    = false
  description = "The service's private link sub-resource (group id), for example postgresqlServer, vault or blob."

  validation {
    condition     = can(regex("^[A-Za-z]+$", var.subresource_name))
    error_message = "subresource_name must be a private link group id such as postgresqlServer, vault or blob."
  }
}

variable "subnet_id" {
  type        = string
  nullable    = false
  description = "Resource id of the subnet the endpoint's network interface goes in."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet resource id."
  }
}

variable "private_dns_zone_id" {
  type        = string
  nullable    = false
  description = "Resource id of the private DNS zone the endpoint registers in (the calling module checks it is its service's zone)."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.[^/]+$", var.private_dns_zone_id))
    error_message = "private_dns_zone_id must be the resource id of a privatelink.* private DNS zone."
  }
}
