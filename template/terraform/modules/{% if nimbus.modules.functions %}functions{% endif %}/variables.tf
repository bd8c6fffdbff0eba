variable "name" {
  type        = string
  nullable    = false
  description = "Name of the Function App; globally unique, it becomes <name>.azurewebsites.net. At most 32 characters, so that the Functions host ID (the name cut to 32 characters) stays unique (computed by the root module's naming.tf)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "service_plan_name" {
  type        = string
  nullable    = false
  description = "Name of the plan: a Flex Consumption plan (FC1), or a Basic plan for a function app that runs a container."

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,60}$", var.service_plan_name))
    error_message = "service_plan_name must be 1-60 letters, digits and hyphens."
  }
}

variable "storage_account_name" {
  type        = string
  nullable    = false
  description = "Name of the Functions host storage account (also holds the Flex Consumption deployment packages); globally unique."

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "storage_account_name must be 3-24 lowercase letters and digits."
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

variable "runtime_family" {
  type        = string
  nullable    = false
  description = "Language of the functions: java (Java 21, for Spring Cloud Function, Quarkus, Micronaut or plain Java), dotnet (isolated worker), node, python run on Flex Consumption; docker runs the app's image on a Basic plan (Flex Consumption runs no containers)."

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
}

variable "instance_memory_mb" {
  type        = number
  default     = 2048
  nullable    = false
  description = "Memory of each Flex Consumption instance in MB."

  validation {
    condition     = contains([512, 2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb must be 512, 2048 or 4096."
  }
}

variable "maximum_instance_count" {
  type        = number
  default     = 40
  nullable    = false
  description = "Upper bound of Flex Consumption scale-out."

  validation {
    condition     = var.maximum_instance_count >= 1 && var.maximum_instance_count <= 1000
    error_message = "maximum_instance_count must be between 1 and 1000."
  }
}

variable "container_sku_name" {
  type        = string
  default     = "B1"
  nullable    = false
  description = "SKU of the plan of a function app that runs a container (runtime_family docker)."

  validation {
    condition     = can(regex("^(B[1-3]|S[1-3]|P[0-3]v[34]|P[1-5]mv[34]|EP[1-3])$", var.container_sku_name))
    error_message = "container_sku_name must be a Linux plan SKU that runs containers: B1-B3, S1-S3, P0v3-P3v3, P1mv3-P5mv3 or EP1-EP3."
  }
}

variable "container_image" {
  type = object({
    registry_login_server = string
    name                  = string
  })
  default     = null
  description = "For runtime_family docker: the image the function app starts with, <name>:<tag> in the environment's registry, pulled with the user-assigned identity (AcrPull). Later deployments replace it; Terraform ignores those changes."

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
  description = "Command that starts the container of a container-based Function App (site_config app_command_line). Flex Consumption has none: the Functions host starts the app's code, so it must stay null there."

  validation {
    condition     = var.startup_command == null || (var.runtime_family == "docker" && length(trimspace(coalesce(var.startup_command, " "))) > 0)
    error_message = "startup_command applies to a container-based Function App only: on Flex Consumption the Functions host starts the app (leave startup_command null; configure the app with app_settings)."
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
  description = "VNet integration: the subnet all outbound traffic goes through (delegated to Microsoft.App/environments for Flex Consumption, to Microsoft.Web/serverFarms for a container on a Basic plan). The host storage account then accepts that subnet only. null keeps the app outside any network."

  validation {
    condition     = var.vnet_integration == null ? true : can(regex("/subnets/[^/]+$", var.vnet_integration.subnet_id))
    error_message = "vnet_integration.subnet_id must be a subnet resource ID."
  }
}

variable "key_vault" {
  type = object({
    id = string
  })
  default     = null
  description = "The environment's Key Vault, when secret_app_settings hold Key Vault references. A Flex Consumption app resolves references with its system-assigned identity (the provider offers no key_vault_reference_identity_id for it), which this module grants \"Key Vault Secrets User\" on the vault."

  validation {
    condition     = var.key_vault == null ? true : can(regex("/vaults/[^/]+$", var.key_vault.id))
    error_message = "key_vault.id must be a Key Vault resource ID."
  }
}

variable "log_analytics_workspace_id" {
  type        = string
  nullable    = false
  description = "Log Analytics workspace that receives the function app's logs."

  validation {
    condition     = can(regex("/workspaces/[^/]+$", var.log_analytics_workspace_id))
    error_message = "log_analytics_workspace_id must be a Log Analytics workspace resource ID."
  }
}
