variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Web App; globally unique, it becomes <name>.azurewebsites.net (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$", var.name))
    error_message = "name must be 2-60 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "service_plan_name" {
  type        = string
  nullable    = false
  description = "Name of the App Service plan."

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,60}$", var.service_plan_name))
    error_message = "service_plan_name must be 1-60 letters, digits and hyphens."
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

variable "sku_name" {
  type        = string
  default     = "B1"
  nullable    = false
  description = "SKU of the Linux App Service plan. B1 is the cheapest with Always On and VNet integration."

  validation {
    condition     = can(regex("^(B[1-3]|S[1-3]|P[0-3]v[34]|P[1-5]mv[34])$", var.sku_name))
    error_message = "sku_name must be B1-B3, S1-S3, P0v3-P3v3 or P1mv3-P5mv3 (or the v4 equivalents)."
  }
}

variable "runtime_family" {
  type        = string
  nullable    = false
  description = "How the app runs: java (Java SE, runs the executable jar), dotnet, node, python, or docker (an image from the environment's registry)."

  validation {
    condition     = contains(["java", "dotnet", "node", "python", "docker"], var.runtime_family)
    error_message = "runtime_family must be java, dotnet, node, python or docker."
  }
}

variable "runtime_version" {
  type        = string
  default     = null
  description = "Version of the language runtime: 21 (java), 10.0 (dotnet), 22 (node), 3.12 (python); null for docker."

  validation {
    condition     = var.runtime_family == "docker" ? var.runtime_version == null : var.runtime_version != null
    error_message = "runtime_version is required for java, dotnet, node and python, and must be null for docker."
  }

  # The versions azurerm's application_stack accepts that are still supported (tests/data/azurerm_provider_rules.json).
  validation {
    condition     = var.runtime_family != "java" || contains(["17", "21", "25"], var.runtime_version)
    error_message = "runtime_version for java must be 17, 21 or 25."
  }
  validation {
    condition     = var.runtime_family != "dotnet" || contains(["10.0"], var.runtime_version)
    error_message = "runtime_version for dotnet must be 10.0."
  }
  validation {
    condition     = var.runtime_family != "node" || contains(["22", "24"], var.runtime_version)
    error_message = "runtime_version for node must be 22 or 24."
  }
  validation {
    condition     = var.runtime_family != "python" || contains(["3.11", "3.12", "3.13", "3.14"], var.runtime_version)
    error_message = "runtime_version for python must be 3.11, 3.12, 3.13 or 3.14."
  }
}

variable "container_image" {
  type = object({
    registry_login_server = string
    name                  = string
  })
  default     = null
  description = "For runtime_family docker: the image the app starts with, <name>:<tag> in the environment's registry, pulled with the user-assigned identity (AcrPull). Later deployments replace it; Terraform ignores those changes."

  validation {
    condition     = var.container_image == null ? var.runtime_family != "docker" : can(regex("^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.container_image.name))
    error_message = "container_image is required for runtime_family docker, and its name must be <repository>:<tag>, for example my-app:latest."
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

variable "app_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "App settings (environment variables) that hold no secret."

  validation {
    condition     = alltrue([for key in keys(var.app_settings) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", key))])
    error_message = "App setting names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}

variable "secret_app_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
  description = "App settings whose values are secrets: Key Vault references (@Microsoft.KeyVault(SecretUri=...)) when the environment has a Key Vault, the secret itself otherwise."

  validation {
    condition     = alltrue([for key in nonsensitive(keys(var.secret_app_settings)) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", key))])
    error_message = "App setting names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}

variable "health_check_path" {
  type        = string
  default     = "/"
  nullable    = false
  description = "Path the platform probes on every instance; it must answer 2xx."

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash."
  }
}

variable "startup_command" {
  type        = string
  default     = null
  description = "Command that starts the app (site_config app_command_line), e.g. `flask db upgrade && gunicorn --bind=0.0.0.0 app:app`; null keeps the platform's default (Oryx's detection for Python and Node, `java -jar` for a jar, the image's CMD for a container)."

  validation {
    condition     = var.startup_command == null ? true : length(trimspace(var.startup_command)) > 0
    error_message = "startup_command must not be empty: leave it null for the platform's default."
  }
}

variable "app_port" {
  type        = number
  default     = 8080
  nullable    = false
  description = "Port the container listens on (WEBSITES_PORT); used with runtime_family docker only."

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535
    error_message = "app_port must be between 1 and 65535."
  }
}

variable "vnet_integration" {
  type = object({
    subnet_id = string
  })
  default     = null
  description = "Regional VNet integration: the subnet (delegated to Microsoft.Web/serverFarms) the app sends all its outbound traffic through, so it reaches the private endpoints of the data services. null keeps the app outside any network."

  validation {
    condition     = var.vnet_integration == null ? true : can(regex("/subnets/[^/]+$", var.vnet_integration.subnet_id))
    error_message = "vnet_integration.subnet_id must be a subnet resource ID."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Log Analytics workspace that receives the app's HTTP, console, application and platform logs."

  validation {
    condition     = can(regex("/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be a Log Analytics workspace resource ID."
  }
}
