# The app's settings (environment variables), named the way each runtime expects them.
#
# Two kinds of values come out:
#   - settings: no secret in them (host names, ports, user names, URLs without credentials, client IDs);
#   - secrets: passwords, keys and connection strings that embed one. Each has a Key Vault-compatible name
#     (letters, digits, hyphens); every setting that carries a secret names the secret it carries.
#
# Without a Key Vault the secret settings hold the values themselves (sensitive app settings, Container Apps
# secrets). With a Key Vault, the root module stores `secrets` there and passes the resulting URIs back in
# (var.key_vault): the settings become Key Vault references. `secrets` depends on the service inputs only,
# never on var.key_vault, so that round trip is no dependency cycle.

locals {
  # Naming families: the three frameworks have their own conventions, the rest share generic names.
  style = {
    spring    = "spring"
    quarkus   = "quarkus"
    micronaut = "micronaut"
    java      = "java"
    dotnet    = "dotnet"
    nodejs    = "generic"
    python    = "generic"
    docker    = "generic"
  }[var.runtime]

  # ---------------------------------------------------------------------------------------------------
  # Database
  # ---------------------------------------------------------------------------------------------------
  # Presence tests use length(var.x[*]) (0 for null, 1 otherwise): `var.x != null` would be as sensitive
  # as the most sensitive attribute of var.x, and so would everything derived from it. For the same reason
  # attributes are read one by one: a conditional on the whole object would spread the sensitivity of the
  # password to the host name.
  has_database = length(var.database[*]) > 0
  db = {
    engine        = local.has_database ? var.database.engine : "postgresql"
    host          = local.has_database ? var.database.host : ""
    port          = local.has_database ? var.database.port : 0
    database_name = local.has_database ? var.database.database_name : ""
    username      = local.has_database ? var.database.username : ""
    password      = local.has_database ? var.database.password : ""
    jdbc_url      = local.has_database ? var.database.jdbc_url : ""
  }

  # DATABASE_URL for runtimes without JDBC: <scheme>://<user>:<password>@<host>:<port>/<database>, TLS on.
  database_url_scheme = { postgresql = "postgresql", mysql = "mysql", sql_server = "mssql" }[local.db.engine]
  database_url_query  = { postgresql = "?sslmode=require", mysql = "?ssl-mode=REQUIRED", sql_server = "?encrypt=true" }[local.db.engine]
  database_url        = "${local.database_url_scheme}://${urlencode(local.db.username)}:${urlencode(local.db.password)}@${local.db.host}:${local.db.port}/${local.db.database_name}${local.database_url_query}"

  # ADO.NET connection string of each engine's usual .NET provider (Npgsql, MySqlConnector, SqlClient).
  database_dotnet_connection_string = {
    postgresql = "Host=${local.db.host};Port=${local.db.port};Database=${local.db.database_name};Username=${local.db.username};Password=${local.db.password};SSL Mode=Require"
    mysql      = "Server=${local.db.host};Port=${local.db.port};Database=${local.db.database_name};User ID=${local.db.username};Password=${local.db.password};SslMode=Required"
    sql_server = "Server=tcp:${local.db.host},${local.db.port};Database=${local.db.database_name};User ID=${local.db.username};Password=${local.db.password};Encrypt=True;TrustServerCertificate=False"
  }[local.db.engine]

  database_parts = {
    DATABASE_HOST = local.db.host
    DATABASE_PORT = tostring(local.db.port)
    DATABASE_NAME = local.db.database_name
    DATABASE_USER = local.db.username
  }

  database_settings = {
    spring = {
      SPRING_DATASOURCE_URL      = local.db.jdbc_url
      SPRING_DATASOURCE_USERNAME = local.db.username
    }
    quarkus = {
      QUARKUS_DATASOURCE_JDBC_URL = local.db.jdbc_url
      QUARKUS_DATASOURCE_USERNAME = local.db.username
    }
    micronaut = {
      DATASOURCES_DEFAULT_URL      = local.db.jdbc_url
      DATASOURCES_DEFAULT_USERNAME = local.db.username
    }
    # Plain Java gets the JDBC URL (credentials apart), the others a URL with the credentials (a secret).
    java    = merge(local.database_parts, { DATABASE_URL = local.db.jdbc_url })
    dotnet  = local.database_parts
    generic = local.database_parts
  }[local.style]

  database_secret_settings = {
    spring    = { SPRING_DATASOURCE_PASSWORD = "database-password" }
    quarkus   = { QUARKUS_DATASOURCE_PASSWORD = "database-password" }
    micronaut = { DATASOURCES_DEFAULT_PASSWORD = "database-password" }
    java      = { DATABASE_PASSWORD = "database-password" }
    dotnet = {
      DATABASE_PASSWORD          = "database-password"
      DATABASE_URL               = "database-url"
      ConnectionStrings__Default = "database-connection-string"
    }
    generic = {
      DATABASE_PASSWORD = "database-password"
      DATABASE_URL      = "database-url"
    }
  }[local.style]

  # ---------------------------------------------------------------------------------------------------
  # Redis (Azure Managed Redis: TLS only; Entra ID by default, access key when the module enables it)
  # ---------------------------------------------------------------------------------------------------
  has_redis = length(var.redis[*]) > 0
  redis = {
    host      = local.has_redis ? var.redis.host : ""
    port      = local.has_redis ? var.redis.port : 0
    auth_mode = local.has_redis ? var.redis.auth_mode : "entra_id"
    username  = local.has_redis ? var.redis.username : ""
  }
  redis_key      = local.has_redis ? (var.redis.access_key == null ? "" : var.redis.access_key) : ""
  redis_uses_key = local.redis.auth_mode == "access_key"
  redis_address  = "${local.redis.host}:${local.redis.port}"

  redis_settings = merge(
    {
      spring = {
        SPRING_DATA_REDIS_HOST        = local.redis.host
        SPRING_DATA_REDIS_PORT        = tostring(local.redis.port)
        SPRING_DATA_REDIS_SSL_ENABLED = "true"
      }
      quarkus   = {}
      micronaut = {}
      java      = { REDIS_HOST = local.redis.host, REDIS_PORT = tostring(local.redis.port) }
      dotnet    = { REDIS_HOST = local.redis.host, REDIS_PORT = tostring(local.redis.port) }
      generic   = { REDIS_HOST = local.redis.host, REDIS_PORT = tostring(local.redis.port) }
    }[local.style],
    # Entra ID: no secret at all; the client library's Entra ID extension signs in as AZURE_CLIENT_ID.
    local.redis_uses_key ? {} : {
      spring = {
        SPRING_DATA_REDIS_USERNAME                   = local.redis.username
        SPRING_DATA_REDIS_AZURE_PASSWORDLESS_ENABLED = "true"
      }
      quarkus   = { QUARKUS_REDIS_HOSTS = "rediss://${local.redis_address}" }
      micronaut = { REDIS_URI = "rediss://${local.redis_address}" }
      java      = { REDIS_URL = "rediss://${local.redis_address}", REDIS_USERNAME = local.redis.username }
      dotnet    = { REDIS_URL = "rediss://${local.redis_address}", REDIS_USERNAME = local.redis.username }
      generic   = { REDIS_URL = "rediss://${local.redis_address}", REDIS_USERNAME = local.redis.username }
    }[local.style]
  )

  redis_secret_settings = local.redis_uses_key ? {
    spring    = { SPRING_DATA_REDIS_PASSWORD = "redis-access-key" }
    quarkus   = { QUARKUS_REDIS_HOSTS = "redis-url" }
    micronaut = { REDIS_URI = "redis-url" }
    java      = { REDIS_URL = "redis-url" }
    dotnet    = { REDIS_URL = "redis-url" }
    generic   = { REDIS_URL = "redis-url" }
  }[local.style] : {}

  # ---------------------------------------------------------------------------------------------------
  # Cosmos DB for MongoDB (the connection string embeds the account key: a secret)
  # ---------------------------------------------------------------------------------------------------
  has_mongodb = length(var.mongodb[*]) > 0
  mongodb = {
    connection_string = local.has_mongodb ? var.mongodb.connection_string : ""
    database_name     = local.has_mongodb ? var.mongodb.database_name : ""
  }

  mongodb_settings = {
    spring    = { SPRING_DATA_MONGODB_DATABASE = local.mongodb.database_name }
    quarkus   = { QUARKUS_MONGODB_DATABASE = local.mongodb.database_name }
    micronaut = { MONGODB_DATABASE = local.mongodb.database_name }
    java      = { MONGODB_DATABASE = local.mongodb.database_name }
    dotnet    = { MONGODB_DATABASE = local.mongodb.database_name }
    generic   = { MONGODB_DATABASE = local.mongodb.database_name }
  }[local.style]

  mongodb_secret_settings = {
    spring    = { SPRING_DATA_MONGODB_URI = "mongodb-connection-string" }
    quarkus   = { QUARKUS_MONGODB_CONNECTION_STRING = "mongodb-connection-string" }
    micronaut = { MONGODB_URI = "mongodb-connection-string" }
    java      = { MONGODB_URI = "mongodb-connection-string" }
    dotnet    = { MONGODB_URI = "mongodb-connection-string" }
    generic   = { MONGODB_URI = "mongodb-connection-string" }
  }[local.style]

  # ---------------------------------------------------------------------------------------------------
  # Blob storage (identity only: endpoint and container, never a key)
  # ---------------------------------------------------------------------------------------------------
  has_storage_blob = length(var.storage_blob[*]) > 0
  storage_blob = {
    blob_endpoint  = local.has_storage_blob ? var.storage_blob.blob_endpoint : ""
    container_name = local.has_storage_blob ? var.storage_blob.container_name : ""
  }

  storage_blob_settings = merge(
    {
      AZURE_STORAGE_BLOB_ENDPOINT = local.storage_blob.blob_endpoint
      AZURE_STORAGE_CONTAINER     = local.storage_blob.container_name
    },
    local.style == "spring" ? {
      SPRING_CLOUD_AZURE_STORAGE_BLOB_ENDPOINT       = local.storage_blob.blob_endpoint
      SPRING_CLOUD_AZURE_STORAGE_BLOB_CONTAINER_NAME = local.storage_blob.container_name
    } : {}
  )

  # ---------------------------------------------------------------------------------------------------
  # Every runtime
  # ---------------------------------------------------------------------------------------------------
  identity_settings = merge(
    { AZURE_CLIENT_ID = var.identity_client_id },
    # Spring Cloud Azure (blob storage, passwordless Redis) signs in as the user-assigned identity.
    local.style == "spring" ? {
      SPRING_CLOUD_AZURE_CREDENTIAL_MANAGED_IDENTITY_ENABLED = "true"
      SPRING_CLOUD_AZURE_CREDENTIAL_CLIENT_ID                = var.identity_client_id
    } : {}
  )

  has_application_insights = length(var.application_insights[*]) > 0
  application_insights_secret_settings = local.has_application_insights ? {
    APPLICATIONINSIGHTS_CONNECTION_STRING = "applicationinsights-connection-string"
  } : {}

  # ---------------------------------------------------------------------------------------------------
  # Results
  # ---------------------------------------------------------------------------------------------------
  settings = merge(
    local.identity_settings,
    local.has_database ? local.database_settings : {},
    local.has_redis ? local.redis_settings : {},
    local.has_mongodb ? local.mongodb_settings : {},
    local.has_storage_blob ? local.storage_blob_settings : {},
  )

  # Setting name => name of the secret it carries.
  secret_settings = merge(
    local.has_database ? local.database_secret_settings : {},
    local.has_redis ? local.redis_secret_settings : {},
    local.has_mongodb ? local.mongodb_secret_settings : {},
    local.application_insights_secret_settings,
  )

  # Every secret a setting may carry; only the ones named in secret_settings are output.
  secret_values = {
    "database-password"                     = local.db.password
    "database-url"                          = local.database_url
    "database-connection-string"            = local.database_dotnet_connection_string
    "redis-access-key"                      = local.redis_key
    "redis-url"                             = "rediss://:${urlencode(local.redis_key)}@${local.redis_address}"
    "mongodb-connection-string"             = local.mongodb.connection_string
    "applicationinsights-connection-string" = local.has_application_insights ? var.application_insights.connection_string : ""
  }

  secrets = { for name in distinct(values(local.secret_settings)) : name => local.secret_values[name] }
}
