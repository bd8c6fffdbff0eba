# ---------------------------------------------------------------------------------------------------
# Common inputs, those this module uses (the data-module interface: docs/notes/terraform-interface.md)
# ---------------------------------------------------------------------------------------------------

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Application Insights component."

  validation {
    condition     = can(regex("^[-\\w.()]{0,254}[-\\w()]$", var.name))
    error_message = "name must be 1-255 characters (letters, digits, '-', '_', '.', '(', ')') and must not end with '.'."
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
  description = "Name of the existing resource group the component is created in."

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
  description = "Object (principal) id of the app's user-assigned identity; it gets 'Monitoring Metrics Publisher' on the component so telemetry can be sent with Entra ID authentication."

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.app_principal_id))
    error_message = "app_principal_id must be an object id (GUID)."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the Log Analytics workspace the component stores its telemetry in (workspace-based Application Insights)."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

# ---------------------------------------------------------------------------------------------------
# Application Insights settings
# ---------------------------------------------------------------------------------------------------

variable "application_type" {
  type        = string
  nullable    = false
  description = "Application type shown in the portal; it does not change what is collected."
  default     = "web"

  validation {
    condition     = contains(["web", "java", "Node.JS", "other"], var.application_type)
    error_message = "application_type must be one of web, java, Node.JS, other."
  }
}

variable "local_authentication_enabled" {
  type        = bool
  nullable    = false
  description = "Accept telemetry authenticated by the connection string's instrumentation key alone. true (default) lets any Application Insights SDK or agent work with just APPLICATIONINSIGHTS_CONNECTION_STRING. false accepts only Entra ID-authenticated telemetry: the app then also needs APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<identity client id> (Java agent, App Service auto-instrumentation) or a token credential in code (OpenTelemetry distros); the app identity already has the role it needs."
  default     = true

  validation {
    condition     = var.local_authentication_enabled != null
    error_message = "local_authentication_enabled must be true or false."
  }
}

variable "daily_data_cap_in_gb" {
  type        = number
  nullable    = false
  description = "Daily ingestion cap in GB; telemetry above it is dropped until the next day. Keeps a chatty branch from running up the bill."
  default     = 1

  validation {
    condition     = var.daily_data_cap_in_gb > 0 && var.daily_data_cap_in_gb <= 1000
    error_message = "daily_data_cap_in_gb must be greater than 0 and at most 1000."
  }
}

variable "sampling_percentage" {
  type        = number
  nullable    = false
  description = "Percentage of telemetry kept by ingestion sampling (100 keeps everything)."
  default     = 100

  validation {
    condition     = var.sampling_percentage > 0 && var.sampling_percentage <= 100
    error_message = "sampling_percentage must be greater than 0 and at most 100."
  }
}
