# ---------------------------------------------------------------------------------------------------
# Common inputs, those this module uses (the data-module interface: docs/notes/terraform-interface.md)
# ---------------------------------------------------------------------------------------------------

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the key vault (globally unique: it becomes <name>.vault.azure.net)."

  validation {
    condition     = can(regex("^[a-zA-Z](-?[a-zA-Z0-9])*$", var.name)) && length(var.name) >= 3 && length(var.name) <= 24
    error_message = "name must be 3-24 characters: letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
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
  description = "Name of the existing resource group the vault is created in."

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
  description = "Object (principal) id of the app's user-assigned identity; it gets 'Key Vault Secrets User' (read secret values) on the vault."

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
  description = "When set, the vault gets a private endpoint in subnet_id, registered in the privatelink.vaultcore.azure.net zone private_dns_zone_id; its firewall then denies every public address except allowed_ip_ranges (public network access is off entirely when that list is empty). null keeps the public endpoint open (RBAC is the control)."
  default     = null

  validation {
    condition = var.private_endpoint == null ? true : (
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint.subnet_id)) &&
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.vaultcore\\.azure\\.net$", var.private_endpoint.private_dns_zone_id))
    )
    error_message = "private_endpoint.subnet_id must be a subnet resource id and private_endpoint.private_dns_zone_id the id of a privatelink.vaultcore.azure.net private DNS zone."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the environment's Log Analytics workspace; the vault's audit log (every secret read and write) is sent there."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

# ---------------------------------------------------------------------------------------------------
# Key Vault settings
# ---------------------------------------------------------------------------------------------------

variable "secrets" {
  type        = map(string)
  nullable    = false
  description = "Secrets to store, name => value (for example the database password). Names are 1-127 letters, digits and hyphens; they are not secret themselves (they become resource addresses and output keys), only the values are."
  default     = {}
  sensitive   = true

  validation {
    condition     = alltrue([for secret_name in keys(var.secrets) : can(regex("^[0-9A-Za-z-]{1,127}$", secret_name))])
    error_message = "secrets names must be 1-127 characters: letters, digits and hyphens."
  }
}

variable "allowed_ip_ranges" {
  type        = list(string)
  nullable    = false
  description = "Private endpoint mode only: public IPv4 addresses or CIDR ranges still allowed through the vault firewall, typically the CI runner's address so Terraform can write the secrets (the runner is outside the virtual network). Empty: public network access is off entirely and only clients in the virtual network reach the vault."
  default     = []

  validation {
    condition     = alltrue([for range in var.allowed_ip_ranges : can(cidrhost(strcontains(range, "/") ? range : "${range}/32", 0)) && !strcontains(range, ":")])
    error_message = "allowed_ip_ranges must contain IPv4 addresses or CIDR ranges (for example 203.0.113.7 or 203.0.113.0/24)."
  }
}

variable "sku_name" {
  type        = string
  nullable    = false
  description = "Vault SKU. standard is enough for secrets; premium only adds HSM-backed keys."
  default     = "standard"

  validation {
    condition     = contains(["standard", "premium"], var.sku_name)
    error_message = "sku_name must be standard or premium."
  }
}

variable "soft_delete_retention_days" {
  type        = number
  nullable    = false
  description = "Days a deleted vault (and a deleted secret) can be recovered. 7, the minimum, frees the vault name soonest after an environment is removed."
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days
    error_message = "soft_delete_retention_days must be a whole number from 7 to 90."
  }
}

variable "purge_protection_enabled" {
  type        = bool
  nullable    = false
  description = "Forbid purging deleted vaults and secrets until soft_delete_retention_days have passed. Off by default: with it on, deleting an environment leaves the vault name taken for the retention period, so re-creating the branch within that time fails or resurrects the old vault. Cannot be turned off once on."
  default     = false

  validation {
    condition     = var.purge_protection_enabled != null
    error_message = "purge_protection_enabled must be true or false."
  }
}

variable "secret_expiration_days" {
  type        = number
  nullable    = false
  description = "Every secret gets an expiration date this many days ahead. The date moves forward on the first apply after half that time (time_rotating), so an environment that is deployed regularly never sees its secrets expire."
  default     = 365

  validation {
    condition     = var.secret_expiration_days >= 2 && var.secret_expiration_days <= 3650 && floor(var.secret_expiration_days) == var.secret_expiration_days
    error_message = "secret_expiration_days must be a whole number from 2 to 3650."
  }
}
