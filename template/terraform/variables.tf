# Inputs of one environment. Only `environment` is required; every size has the cheapest default that still
# runs the app, because most environments live for the length of a branch. Override them for one environment
# in environments/<environment>.tfvars (see environments/README.md).

variable "environment" {
  type        = string
  nullable    = false
  description = "Name of the environment (from the branch name: env-alice gives alice). Part of every resource name; the rules are in nimbus.json (naming.environment)."

  validation {
    condition = (
      length(var.environment) >= local.settings.naming.environment.min_length
      && length(var.environment) <= local.settings.naming.environment.max_length
      && can(regex(local.settings.naming.environment.pattern, var.environment))
      && !strcontains(var.environment, "--")
    )
    error_message = "environment \"${var.environment}\" is not allowed: use ${local.settings.naming.environment.min_length} to ${local.settings.naming.environment.max_length} lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
  }
}

# Provenance tags (scripts/gitops.py sets them on every plan): who created the environment, and from which
# branch and commit it was last applied. A GitHub login or git user name, never an e-mail address unless
# owner_email is true in nimbus.json.
variable "nimbus_actor" {
  type        = string
  default     = ""
  nullable    = false
  description = "Who runs Terraform (GitHub actor, or the git user on a laptop). Recorded once as the created-by tag."

  validation {
    condition     = length(var.nimbus_actor) <= 256
    error_message = "nimbus_actor must be at most 256 characters (an Azure tag value)."
  }
}

variable "nimbus_branch" {
  type        = string
  default     = ""
  nullable    = false
  description = "Branch the environment is applied from: the last-applied-branch tag of its resource group."

  validation {
    condition     = length(var.nimbus_branch) <= 256
    error_message = "nimbus_branch must be at most 256 characters (an Azure tag value)."
  }
}

variable "nimbus_commit" {
  type        = string
  default     = ""
  nullable    = false
  description = "Commit the environment is applied from: the last-applied-commit tag of its resource group."

  validation {
    condition     = length(var.nimbus_commit) <= 256
    error_message = "nimbus_commit must be at most 256 characters (an Azure tag value)."
  }
}

variable "deployer_ip_ranges" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Public IP addresses or CIDR ranges of whoever runs Terraform (the workflow passes the runner's egress IP). With network = vnet they are the only addresses, besides trusted Azure services, allowed through the Key Vault firewall, so that Terraform can write the app's secrets."

  validation {
    condition     = alltrue([for range in var.deployer_ip_ranges : can(cidrhost(strcontains(range, "/") ? range : "${range}/32", 0))])
    error_message = "deployer_ip_ranges must hold IPv4 addresses or CIDR ranges, for example [\"203.0.113.7\"] or [\"203.0.113.0/24\"]."
  }
}

# ---------------------------------------------------------------------------------------------------------
# App Service (compute = app_service), and the plan of a Function App running a container
# ---------------------------------------------------------------------------------------------------------

variable "app_service_sku_name" {
  type        = string
  default     = "B1"
  nullable    = false
  description = "SKU of the App Service plan (Linux). B1 is the cheapest SKU with Always On and VNet integration; use P0v3 or larger for production-like load."

  validation {
    condition     = can(regex("^(B[1-3]|S[1-3]|P[0-3]v[34]|P[1-5]mv[34])$", var.app_service_sku_name))
    error_message = "app_service_sku_name must be a Linux App Service plan SKU that supports VNet integration: B1-B3, S1-S3, P0v3-P3v3, P1mv3-P5mv3 (or the v4 equivalents)."
  }
}

variable "health_check_path" {
  type        = string
  default     = "/"
  nullable    = false
  description = "Path App Service and Functions (container) probe to decide whether an instance is healthy; it must answer 2xx. Use /actuator/health (Spring Boot Actuator), /q/health (Quarkus) or /health (Micronaut) when the app has one."

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash, for example \"/\" or \"/actuator/health\"."
  }
}

# ---------------------------------------------------------------------------------------------------------
# The app's own configuration (every compute option)
# ---------------------------------------------------------------------------------------------------------

variable "app_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "The app's own settings (environment variables) that hold no secret, e.g. { SPRING_PROFILES_ACTIVE = \"postgres\" }: set them in environments/_all.tfvars (every environment) or environments/<environment>.tfvars. Added to the settings nimbus manages (docs/reference/app-settings.md); a managed name is refused."
}

variable "secret_app_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
  description = "The app's own secret settings: Key Vault secrets referenced by the app when the project has a Key Vault, sensitive app settings (Container Apps secrets) otherwise. Never commit the values: pass them as TF_VAR_secret_app_settings (a JSON object); the workflows read it from the secret NIMBUS_SECRET_APP_SETTINGS."
}

variable "startup_command" {
  type        = string
  default     = null
  description = "Command that starts the app on App Service (and a container-based Function App), e.g. \"flask db upgrade && gunicorn --bind=0.0.0.0 app:app\". null keeps the platform's default. Flex Consumption Function Apps have none (the Functions host starts the code); on Container Apps the image's CMD runs (APP_MODULE and APP_SERVER select a Python image's app and server)."

  validation {
    condition     = var.startup_command == null ? true : length(trimspace(var.startup_command)) > 0
    error_message = "startup_command must not be empty: leave it unset for the platform's default."
  }
}

variable "app_port" {
  type        = number
  default     = 8080
  nullable    = false
  description = "Port the app's container listens on (Container Apps ingress target, WEBSITES_PORT for containers on App Service and Functions). Code deployments to App Service and Functions ignore it: the platform sets the port."

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a TCP port number between 1 and 65535."
  }
}

# ---------------------------------------------------------------------------------------------------------
# Container Apps (compute = container_apps)
# ---------------------------------------------------------------------------------------------------------

variable "container_app_cpu" {
  type        = number
  default     = 0.5
  nullable    = false
  description = "vCPU of the app's container on the Consumption workload profile; memory is twice that in GiB (0.5 vCPU gives 1Gi)."

  validation {
    condition     = contains([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4], var.container_app_cpu)
    error_message = "container_app_cpu must be one of 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5 or 4."
  }
}

variable "container_app_min_replicas" {
  type        = number
  default     = 0
  nullable    = false
  description = "Minimum number of replicas; 0 scales the app to zero when idle (no cost, a cold start on the next request)."

  validation {
    condition     = var.container_app_min_replicas >= 0 && var.container_app_min_replicas <= 300 && floor(var.container_app_min_replicas) == var.container_app_min_replicas
    error_message = "container_app_min_replicas must be a whole number between 0 and 300."
  }
}

variable "container_app_max_replicas" {
  type        = number
  default     = 2
  nullable    = false
  description = "Maximum number of replicas the HTTP scale rule may start."

  validation {
    condition     = var.container_app_max_replicas >= 1 && var.container_app_max_replicas <= 300 && floor(var.container_app_max_replicas) == var.container_app_max_replicas
    error_message = "container_app_max_replicas must be a whole number between 1 and 300."
  }
}

# ---------------------------------------------------------------------------------------------------------
# Azure Functions (compute = functions)
# ---------------------------------------------------------------------------------------------------------

variable "function_instance_memory_mb" {
  type        = number
  default     = 2048
  nullable    = false
  description = "Memory of each Flex Consumption instance in MB (512, 2048 or 4096). 2048 is the smallest size that suits a JVM."

  validation {
    condition     = contains([512, 2048, 4096], var.function_instance_memory_mb)
    error_message = "function_instance_memory_mb must be 512, 2048 or 4096."
  }
}

variable "function_maximum_instance_count" {
  type        = number
  default     = 40
  nullable    = false
  description = "Upper bound of Flex Consumption scale-out: caps the cost of a runaway load on a short-lived environment."

  validation {
    condition     = var.function_maximum_instance_count >= 1 && var.function_maximum_instance_count <= 1000 && floor(var.function_maximum_instance_count) == var.function_maximum_instance_count
    error_message = "function_maximum_instance_count must be a whole number between 1 and 1000."
  }
}

# ---------------------------------------------------------------------------------------------------------
# Network (network = vnet)
# ---------------------------------------------------------------------------------------------------------

variable "vnet_address_space" {
  type        = string
  default     = "10.20.0.0/16"
  nullable    = false
  description = "Address space of the environment's virtual network, /16 to /23: the app subnet and the private endpoint subnet are its first two /24. Every environment has its own, unpeered network, so they may all use the same range."

  validation {
    condition     = can(regex("^[0-9.]+/(1[6-9]|2[0-3])$", var.vnet_address_space)) && can(cidrhost(var.vnet_address_space, 0))
    error_message = "vnet_address_space must be an IPv4 CIDR range from /16 to /23, for example \"10.20.0.0/16\"."
  }
}
