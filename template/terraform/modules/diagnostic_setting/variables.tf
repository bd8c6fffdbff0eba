variable "name" {
  type        = string
  nullable    = false
  description = "Name of the diagnostic setting (unique among the target resource's settings)."

  validation {
    condition     = length(var.name) > 0 && length(var.name) <= 260
    error_message = "name must be 1-260 characters."
  }
}

variable "target_resource_id" {
  type        = string
  nullable    = false
  description = "Resource id of what is monitored (a resource, or a sub-resource such as <storage account>/blobServices/default)."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$", var.target_resource_id))
    error_message = "target_resource_id must be an Azure resource id (/subscriptions/.../providers/...)."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Resource id of the environment's Log Analytics workspace."

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be the resource id of a Log Analytics workspace."
  }
}

variable "log_category_groups" {
  type        = list(string)
  default     = ["allLogs"]
  nullable    = false
  description = "Log category groups sent to the workspace (allLogs: every category the resource has)."

  validation {
    condition     = alltrue([for group in var.log_category_groups : contains(["allLogs", "audit"], group)])
    error_message = "log_category_groups may hold allLogs and audit."
  }
}

variable "log_categories" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Single log categories sent to the workspace, for resources that want one category rather than a group (for example SQLSecurityAuditEvents)."

  validation {
    condition     = length(var.log_categories) + length(var.log_category_groups) > 0
    error_message = "log_categories and log_category_groups must not both be empty: the setting would send nothing."
  }
}
