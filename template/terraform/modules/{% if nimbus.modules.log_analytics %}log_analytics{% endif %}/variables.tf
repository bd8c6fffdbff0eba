variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Log Analytics workspace (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$", var.name))
    error_message = "name must be 4-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "location" {
  type        = string
  nullable    = false
  description = "Azure region of the workspace."

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

variable "retention_in_days" {
  type        = number
  default     = 30
  nullable    = false
  description = "Days the workspace keeps data; 30 is included in the ingestion price, longer retention is billed."

  validation {
    condition     = var.retention_in_days >= 30 && var.retention_in_days <= 730
    error_message = "retention_in_days must be between 30 and 730."
  }
}

variable "daily_quota_gb" {
  type        = number
  default     = -1
  nullable    = false
  description = "Daily ingestion cap in GB (-1: no cap). A cap bounds the cost of a chatty environment, at the price of losing the day's logs past it."

  validation {
    condition     = var.daily_quota_gb == -1 || var.daily_quota_gb >= 0.023
    error_message = "daily_quota_gb must be -1 (no cap) or at least 0.023."
  }
}

variable "local_authentication_enabled" {
  type        = bool
  default     = false
  nullable    = false
  description = "Allow ingestion and queries with the workspace's shared key. Off by default (Entra ID only); a Container Apps environment whose logs destination is \"log-analytics\" needs it on, because the platform ships console logs with that key."

  validation {
    condition     = var.local_authentication_enabled == true || var.local_authentication_enabled == false
    error_message = "local_authentication_enabled must be true or false."
  }
}
