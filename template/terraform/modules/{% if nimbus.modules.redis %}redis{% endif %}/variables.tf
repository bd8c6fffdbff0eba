# ---------------------------------------------------------------------------------------------------
# Common inputs, those this module uses (the data-module interface: docs/notes/terraform-interface.md)
# ---------------------------------------------------------------------------------------------------

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Azure Managed Redis instance (globally unique: it becomes <name>.<region>.redis.azure.net)."

  validation {
    condition     = can(regex("^[a-zA-Z](-?[a-zA-Z0-9])*$", var.name)) && length(var.name) >= 3 && length(var.name) <= 60
    error_message = "name must be 3-60 characters: letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
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
  description = "Name of the existing resource group the instance is created in."

  validation {
    condition     = can(regex("^[-\\w.()]{0,89}[-\\w()]$", var.resource_group_name))
    error_message = "resource_group_name must be 1-90 characters (letters, digits, '-', '_', '.', '(', ')') and must not end with '.'."
  }
}

variable "tags" {
  type        = map(string)
  nullable    = false
  description = "Tags applied to every resource this module creates."
  default     = {}

  validation {
    condition     = length(var.tags) <= 50 && alltrue([for key, value in var.tags : length(key) <= 512 && length(value) <= 256])
    error_message = "tags allows at most 50 tags, with keys up to 512 and values up to 256 characters."
  }
}

variable "app_principal_id" {
  type        = string
  nullable    = false
  description = "Object (principal) id of the app's user-assigned identity; it gets a data access policy assignment (the default access policy) so the app authenticates with Entra ID."

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.app_principal_id))
    error_message = "app_principal_id must be an object id (GUID)."
  }
}

variable "private_endpoint" {
  type = object({
    subnet_id           = string
    private_dns_zone_id = string
  })
  description = "When set, the instance gets a private endpoint in subnet_id, registered in the privatelink.redis.azure.net zone private_dns_zone_id, and public network access is turned off. null keeps the public endpoint (TLS and Entra ID authentication)."
  default     = null

  validation {
    condition = var.private_endpoint == null ? true : (
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint.subnet_id)) &&
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.redis\\.azure\\.net$", var.private_endpoint.private_dns_zone_id))
    )
    error_message = "private_endpoint.subnet_id must be a subnet resource id and private_endpoint.private_dns_zone_id the id of a privatelink.redis.azure.net private DNS zone."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the environment's Log Analytics workspace; the database's connection audit log is sent there."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

# ---------------------------------------------------------------------------------------------------
# Azure Managed Redis settings (defaults: the cheapest sensible instance for a short-lived environment)
# ---------------------------------------------------------------------------------------------------

variable "sku_name" {
  type        = string
  nullable    = false
  description = "Azure Managed Redis SKU. Balanced_B0 (0.5 GB) is the smallest and cheapest."
  default     = "Balanced_B0"

  validation {
    # The Azure Managed Redis SKUs azurerm accepts (its list without the retired Enterprise tiers).
    condition = contains([
      "Balanced_B0", "Balanced_B1", "Balanced_B3", "Balanced_B5", "Balanced_B10", "Balanced_B20", "Balanced_B50", "Balanced_B100", "Balanced_B150", "Balanced_B250", "Balanced_B350", "Balanced_B500", "Balanced_B700", "Balanced_B1000",
      "ComputeOptimized_X3", "ComputeOptimized_X5", "ComputeOptimized_X10", "ComputeOptimized_X20", "ComputeOptimized_X50", "ComputeOptimized_X100", "ComputeOptimized_X150", "ComputeOptimized_X250", "ComputeOptimized_X350", "ComputeOptimized_X500", "ComputeOptimized_X700",
      "FlashOptimized_A250", "FlashOptimized_A500", "FlashOptimized_A700", "FlashOptimized_A1000", "FlashOptimized_A1500", "FlashOptimized_A2000", "FlashOptimized_A4500",
      "MemoryOptimized_M10", "MemoryOptimized_M20", "MemoryOptimized_M50", "MemoryOptimized_M100", "MemoryOptimized_M150", "MemoryOptimized_M250", "MemoryOptimized_M350", "MemoryOptimized_M500", "MemoryOptimized_M700", "MemoryOptimized_M1000", "MemoryOptimized_M1500", "MemoryOptimized_M2000",
    ], var.sku_name)
    error_message = "sku_name must be an Azure Managed Redis SKU such as Balanced_B0, Balanced_B1, MemoryOptimized_M10 or ComputeOptimized_X3."
  }
}

variable "high_availability_enabled" {
  type        = bool
  nullable    = false
  description = "Replicate the data to a second node. Off by default: it doubles the price, and a per-branch cache has no availability SLA to keep. Changing it re-creates the instance."
  default     = false

  validation {
    condition     = var.high_availability_enabled != null
    error_message = "high_availability_enabled must be true or false."
  }
}

variable "clustering_policy" {
  type        = string
  nullable    = false
  description = "EnterpriseCluster (default) exposes a single endpoint that every Redis client library supports; OSSCluster is faster but needs a cluster-aware client. Changing it re-creates the database (data is lost)."
  default     = "EnterpriseCluster"

  validation {
    condition     = contains(["EnterpriseCluster", "OSSCluster"], var.clustering_policy)
    error_message = "clustering_policy must be EnterpriseCluster or OSSCluster."
  }
}

variable "access_keys_authentication_enabled" {
  type        = bool
  nullable    = false
  description = "Also accept the database access keys (output access_key). Off by default: the app authenticates with its managed identity (Entra ID), which needs the Entra ID extension of its Redis client library. Turn on for clients that only support a password."
  default     = false

  validation {
    condition     = var.access_keys_authentication_enabled != null
    error_message = "access_keys_authentication_enabled must be true or false."
  }
}
