variable "runtime" {
  type        = string
  nullable    = false
  description = "The app's runtime answer: spring, quarkus, micronaut, java, dotnet, nodejs, python or docker. It decides the names of the settings (SPRING_DATASOURCE_URL, QUARKUS_DATASOURCE_JDBC_URL, DATABASE_URL...)."

  validation {
    condition     = contains(["spring", "quarkus", "micronaut", "java", "dotnet", "nodejs", "python", "docker"], var.runtime)
    error_message = "runtime must be one of spring, quarkus, micronaut, java, dotnet, nodejs, python, docker."
  }
}

variable "identity_client_id" {
  type        = string
  nullable    = false
  description = "Client ID of the app's user-assigned identity, published as AZURE_CLIENT_ID so that DefaultAzureCredential (and Spring Cloud Azure) pick that identity."

  validation {
    condition     = length(var.identity_client_id) > 0
    error_message = "identity_client_id must not be empty."
  }
}

variable "database" {
  type = object({
    engine        = string
    host          = string
    port          = number
    database_name = string
    username      = string
    password      = string
    jdbc_url      = string
  })
  default     = null
  description = "The environment's database (the app_settings output of the postgresql, mysql or sql_server module, engine being the module name); null when there is none."

  validation {
    condition     = var.database == null ? true : contains(["postgresql", "mysql", "sql_server"], var.database.engine)
    error_message = "database.engine must be postgresql, mysql or sql_server."
  }
}

variable "redis" {
  type = object({
    host       = string
    port       = number
    auth_mode  = string
    username   = string
    access_key = string
  })
  default     = null
  description = "The environment's Azure Managed Redis (the app_settings output of the redis module): with auth_mode entra_id the app signs in as its identity (username is the identity's object ID, access_key null); with access_key it uses the key. null when there is none."

  validation {
    condition     = var.redis == null ? true : contains(["entra_id", "access_key"], var.redis.auth_mode)
    error_message = "redis.auth_mode must be entra_id or access_key."
  }
}

variable "mongodb" {
  type = object({
    connection_string = string
    database_name     = string
  })
  default     = null
  description = "The environment's Cosmos DB for MongoDB (the app_settings output of the cosmosdb_mongodb module); null when there is none."

  validation {
    condition     = var.mongodb == null ? true : length(var.mongodb.database_name) > 0
    error_message = "mongodb.database_name must not be empty."
  }
}

variable "storage_blob" {
  type = object({
    blob_endpoint  = string
    container_name = string
  })
  default     = null
  description = "The environment's blob storage (the app_settings output of the storage_blob module). The app reaches it with its identity: no key is ever passed. null when there is none."

  validation {
    condition     = var.storage_blob == null ? true : length(var.storage_blob.container_name) > 0
    error_message = "storage_blob.container_name must not be empty."
  }
}

variable "application_insights" {
  type = object({
    connection_string = string
  })
  default     = null
  description = "The environment's Application Insights (the app_settings output of the application_insights module); null when there is none."

  validation {
    condition     = var.application_insights == null ? true : var.application_insights.connection_string != null
    error_message = "application_insights.connection_string must not be null."
  }
}

variable "key_vault" {
  type = object({
    secret_uris = map(string)
  })
  default     = null
  description = "The environment's Key Vault: secret_uris (secret name => versionless URI) of the secrets output stored there. When set, secret settings become Key Vault references instead of the secret values. null when there is none."

  validation {
    condition     = var.key_vault == null ? true : alltrue([for name, uri in var.key_vault.secret_uris : can(regex("^https://", uri))])
    error_message = "key_vault.secret_uris must map secret names to https:// URIs."
  }
}

variable "user_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "The team's own settings that hold no secret (root variable app_settings), added to the managed ones. A name nimbus manages is refused (see the outputs' precondition)."

  validation {
    condition     = alltrue([for name in keys(var.user_settings) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", name))])
    error_message = "app_settings names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}

variable "user_secret_settings" {
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
  description = "The team's own secret settings (root variable secret_app_settings): stored in Key Vault (secret app-<name>) and referenced when the environment has one, sensitive settings otherwise."

  validation {
    condition     = alltrue([for name in nonsensitive(keys(var.user_secret_settings)) : can(regex("^[A-Za-z_][A-Za-z0-9_.-]*$", name))])
    error_message = "secret_app_settings names must start with a letter or underscore and hold letters, digits, '_', '.' and '-'."
  }
}
