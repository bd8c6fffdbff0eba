# ---------------------------------------------------------------------------------------------------
# Common inputs, those this module uses (the data-module interface: docs/notes/terraform-interface.md)
# ---------------------------------------------------------------------------------------------------

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Cosmos DB account (globally unique: it becomes <name>.mongo.cosmos.azure.com)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$", var.name))
    error_message = "name must be 3-44 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit."
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
  description = "Name of the existing resource group the account is created in."

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

variable "private_endpoint" {
  type = object({
    subnet_id           = string
    private_dns_zone_id = string
  })
  description = "When set, the account gets a private endpoint in subnet_id, registered in the privatelink.mongo.cosmos.azure.com zone private_dns_zone_id, and public network access is turned off. null keeps the public endpoint (TLS and account keys)."
  default     = null

  validation {
    condition = var.private_endpoint == null ? true : (
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint.subnet_id)) &&
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.mongo\\.cosmos\\.azure\\.com$", var.private_endpoint.private_dns_zone_id))
    )
    error_message = "private_endpoint.subnet_id must be a subnet resource id and private_endpoint.private_dns_zone_id the id of a privatelink.mongo.cosmos.azure.com private DNS zone."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the environment's Log Analytics workspace; the account's resource logs (category group allLogs) are sent there."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

# ---------------------------------------------------------------------------------------------------
# Cosmos DB for MongoDB settings (defaults: serverless, the cheapest for a short-lived environment)
# ---------------------------------------------------------------------------------------------------

variable "database_name" {
  type        = string
  nullable    = false
  description = "Name of the MongoDB database created for the app."
  default     = "app"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,63}$", var.database_name)) && !contains(["admin", "local", "config"], var.database_name)
    error_message = "database_name must be 1-63 letters, digits, '_' or '-', and not admin, local or config."
  }
}

variable "mongo_server_version" {
  type        = string
  nullable    = false
  description = "MongoDB wire protocol version the account serves."
  default     = "6.0"

  validation {
    condition     = contains(["4.2", "5.0", "6.0", "7.0"], var.mongo_server_version)
    error_message = "mongo_server_version must be one of 4.2, 5.0, 6.0, 7.0."
  }
}

variable "consistency_level" {
  type        = string
  nullable    = false
  description = "Default consistency level. Session (the Azure default) gives read-your-writes within a client session."
  default     = "Session"

  validation {
    condition     = contains(["Strong", "BoundedStaleness", "Session", "ConsistentPrefix", "Eventual"], var.consistency_level)
    error_message = "consistency_level must be one of Strong, BoundedStaleness, Session, ConsistentPrefix, Eventual."
  }
}
