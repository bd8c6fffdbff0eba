variable "name" {
  type        = string
  nullable    = false
  description = "Name of the registry; globally unique, it becomes <name>.azurecr.io (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[a-zA-Z0-9]{5,50}$", var.name))
    error_message = "name must be 5-50 letters and digits."
  }
}

variable "location" {
  type        = string
  nullable    = false
  description = "Azure region of the registry."

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

variable "sku" {
  type        = string
  default     = "Basic"
  nullable    = false
  description = "Registry SKU. Basic (10 GiB included) holds the images of a short-lived environment; Premium adds private endpoints, geo-replication and retention policies."

  validation {
    condition     = contains(["Basic", "Standard", "Premium"], var.sku)
    error_message = "sku must be Basic, Standard or Premium."
  }
}

variable "pull_principal_id" {
  type        = string
  nullable    = false
  description = "Principal (object) ID of the app's user-assigned identity, granted AcrPull."

  validation {
    condition     = length(var.pull_principal_id) > 0
    error_message = "pull_principal_id must not be empty."
  }
}

variable "push_principal_ids" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Principal (object) IDs granted AcrPush, typically the identity that runs Terraform and the deploy workflow."

  validation {
    condition     = alltrue([for id in var.push_principal_ids : length(id) > 0])
    error_message = "push_principal_ids must not hold empty strings."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Log Analytics workspace that receives the registry's login and repository events."

  validation {
    condition     = can(regex("/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be a Log Analytics workspace resource ID."
  }
}
