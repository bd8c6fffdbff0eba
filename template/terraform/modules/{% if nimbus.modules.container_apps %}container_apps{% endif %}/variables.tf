variable "environment_name" {
  type        = string
  nullable    = false
  description = "Name of the Container Apps environment (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,58}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-60 lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
  }
}

variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Container App (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-32 lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
  }
}

variable "location" {
  type        = string
  nullable    = false
  description = "Azure region."

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

variable "identity" {
  type = object({
    id           = string
    client_id    = string
    principal_id = string
  })
  nullable    = false
  description = "The app's user-assigned managed identity (resource ID, client ID, principal ID): what the code authenticates with (AZURE_CLIENT_ID), pulls images and reads Key Vault references with. Roles on the data services are granted to it by their modules."

  validation {
    condition     = length(var.identity.id) > 0 && length(var.identity.client_id) > 0 && length(var.identity.principal_id) > 0
    error_message = "identity.id, identity.client_id and identity.principal_id must not be empty."
  }
}

variable "registry_login_server" {
  type        = string
  nullable    = false
  description = "Login server of the environment's container registry; the app pulls from it with its user-assigned identity (AcrPull)."

  validation {
    condition     = length(var.registry_login_server) > 0
    error_message = "registry_login_server must not be empty."
  }
}

variable "placeholder_image" {
  type        = string
  default     = "mcr.microsoft.com/dotnet/samples:aspnetapp"
  nullable    = false
  description = "Public image the app is created with, before the first deployment pushes the real one (an image must exist for a revision to start). The default, a small ASP.NET sample, listens on target_port because the module sets ASPNETCORE_HTTP_PORTS."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.placeholder_image))
    error_message = "placeholder_image must be a fully qualified image reference, for example mcr.microsoft.com/dotnet/samples:aspnetapp."
  }
}

variable "target_port" {
  type        = number
  default     = 8080
  nullable    = false
  description = "Port the app's container listens on; ingress forwards HTTPS traffic to it."

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "target_port must be between 1 and 65535."
  }
}

variable "cpu" {
  type        = number
  default     = 0.5
  nullable    = false
  description = "vCPU of the container on the Consumption workload profile; memory is twice that in GiB."

  validation {
    condition     = contains([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4], var.cpu)
    error_message = "cpu must be one of 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5 or 4."
  }
}

variable "min_replicas" {
  type        = number
  default     = 0
  nullable    = false
  description = "Minimum number of replicas; 0 scales to zero when idle."

  validation {
    condition     = var.min_replicas >= 0 && var.min_replicas <= 300
    error_message = "min_replicas must be between 0 and 300."
  }
}

variable "max_replicas" {
  type        = number
  default     = 2
  nullable    = false
  description = "Maximum number of replicas."

  validation {
    condition     = var.max_replicas >= 1 && var.max_replicas <= 300 && var.max_replicas >= var.min_replicas
    error_message = "max_replicas must be between 1 and 300, and at least min_replicas."
  }
}

variable "environment_variables" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "Environment variables that hold no secret."

  validation {
    condition     = alltrue([for key in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", key))])
    error_message = "Environment variable names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}

variable "secret_environment_variables" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "Environment variables that carry a secret: variable name => name of one of var.secrets."

  validation {
    condition     = alltrue([for key in keys(var.secret_environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", key))])
    error_message = "Environment variable names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}

variable "secrets" {
  type = map(object({
    value               = optional(string)
    key_vault_secret_id = optional(string)
  }))
  default     = {}
  nullable    = false
  sensitive   = true
  description = "Container Apps secrets, name => either the value or a Key Vault secret URI (read with the user-assigned identity, which needs \"Key Vault Secrets User\")."

  validation {
    condition     = alltrue([for name in nonsensitive(keys(var.secrets)) : can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", name))])
    error_message = "Secret names must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."
  }
}

variable "infrastructure_subnet" {
  type = object({
    id = string
  })
  default     = null
  description = "Subnet of the environment (at least /27, delegated to Microsoft.App/environments) when it lives in a virtual network, so the app reaches the data services' private endpoints. null: the environment uses a network Azure manages."

  validation {
    condition     = var.infrastructure_subnet == null ? true : can(regex("/subnets/[^/]+$", var.infrastructure_subnet.id))
    error_message = "infrastructure_subnet.id must be a subnet resource ID."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Log Analytics workspace that receives the environment's console and system logs."

  validation {
    condition     = can(regex("/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be a Log Analytics workspace resource ID."
  }
}
