# ---------------------------------------------------------------------------------------------------
# Common inputs, those this module uses (the data-module interface: docs/notes/terraform-interface.md)
# ---------------------------------------------------------------------------------------------------

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the storage account (globally unique: it becomes <name>.blob.core.windows.net)."

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.name))
    error_message = "name must be 3-24 lowercase letters and digits."
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
  description = "Name of the existing resource group the storage account is created in."

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
  description = "Object (principal) id of the app's user-assigned identity; it gets 'Storage Blob Data Contributor' on the container (shared keys are disabled, so Entra ID is the only way in)."

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
  description = "When set, the account gets a blob private endpoint in subnet_id, registered in the privatelink.blob.core.windows.net zone private_dns_zone_id, and public network access is turned off. null keeps the public endpoint (Entra ID authentication only)."
  default     = null

  validation {
    condition = var.private_endpoint == null ? true : (
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint.subnet_id)) &&
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.blob\\.core\\.windows\\.net$", var.private_endpoint.private_dns_zone_id))
    )
    error_message = "private_endpoint.subnet_id must be a subnet resource id and private_endpoint.private_dns_zone_id the id of a privatelink.blob.core.windows.net private DNS zone."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the environment's Log Analytics workspace; the blob service's resource logs (reads, writes, deletes) are sent there."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

# ---------------------------------------------------------------------------------------------------
# Blob storage settings (defaults: the cheapest sensible account for a short-lived environment)
# ---------------------------------------------------------------------------------------------------

variable "container_name" {
  type        = string
  nullable    = false
  description = "Name of the blob container created for the app."
  default     = "app"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9])*$", var.container_name)) && length(var.container_name) >= 3 && length(var.container_name) <= 63
    error_message = "container_name must be 3-63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit."
  }
}

variable "replication_type" {
  type        = string
  nullable    = false
  description = "Redundancy of the account. LRS (three copies in one datacenter) is the cheapest; ZRS survives a zone outage."
  default     = "LRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "replication_type must be one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "soft_delete_retention_days" {
  type        = number
  nullable    = false
  description = "Days deleted blobs and containers can be restored."
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 1 && var.soft_delete_retention_days <= 365 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days
    error_message = "soft_delete_retention_days must be a whole number from 1 to 365."
  }
}

variable "versioning_enabled" {
  type        = bool
  nullable    = false
  description = "Keep previous versions of overwritten blobs. Off by default: every version is billed storage, and soft delete already covers accidental deletes in a per-branch environment."
  default     = false

  validation {
    condition     = var.versioning_enabled != null
    error_message = "versioning_enabled must be true or false."
  }
}
