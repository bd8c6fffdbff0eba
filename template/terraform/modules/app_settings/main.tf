# The app's settings (environment variables), named the way each runtime expects them. The names are facts kept in
# settings.json (one entry per naming convention: Spring Boot, Quarkus, Micronaut, .NET, NubesGen...); this file
# only computes the values they take, and adds the team's own settings (var.user_settings, var.user_secret_settings).
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
  catalogue = jsondecode(file("${path.module}/settings.json")).services

  # ---------------------------------------------------------------------------------------------------
  # Values of each service (no secret among them)
  # ---------------------------------------------------------------------------------------------------
  # Presence tests use length(var.x[*]) (0 for null, 1 otherwise): `var.x != null` would be as sensitive
  # as the most sensitive attribute of var.x, and so would everything derived from it. For the same reason
  # attributes are read one by one: a conditional on the whole object would spread the sensitivity of the
  # password to the host name.
  has_database             = length(var.database[*]) > 0
  has_redis                = length(var.redis[*]) > 0
  has_mongodb              = length(var.mongodb[*]) > 0
  has_storage_blob         = length(var.storage_blob[*]) > 0
  has_application_insights = length(var.application_insights[*]) > 0

  db = {
    engine        = local.has_database ? var.database.engine : "postgresql"
    host          = local.has_database ? var.database.host : ""
    port          = local.has_database ? var.database.port : 0
    database_name = local.has_database ? var.database.database_name : ""
    username      = local.has_database ? var.database.username : ""
    password      = local.has_database ? var.database.password : ""
    jdbc_url      = local.has_database ? var.database.jdbc_url : ""
  }
  redis = {
    host      = local.has_redis ? var.redis.host : ""
    port      = local.has_redis ? var.redis.port : 0
    auth_mode = local.has_redis ? var.redis.auth_mode : "entra_id"
    username  = local.has_redis ? var.redis.username : ""
  }
  redis_key      = local.has_redis ? (var.redis.access_key == null ? "" : var.redis.access_key) : ""
  redis_uses_key = local.redis.auth_mode == "access_key"
  redis_address  = "${local.redis.host}:${local.redis.port}"
  mongodb = {
    connection_string = local.has_mongodb ? var.mongodb.connection_string : ""
    database_name     = local.has_mongodb ? var.mongodb.database_name : ""
  }

  redis_values = {
    host      = local.redis.host
    port      = tostring(local.redis.port)
    object_id = local.redis.username
    url       = "rediss://${local.redis_address}"
  }

  # Value names used by settings.json, per service ("true" is the constant every service may use).
  values = {
    identity = { client_id = var.identity_client_id }
    database = {
      host          = local.db.host
      port          = tostring(local.db.port)
      database_name = local.db.database_name
      username      = local.db.username
      jdbc_url      = local.db.jdbc_url
    }
    redis            = local.redis_values
    redis_entra_id   = local.redis_values
    redis_access_key = local.redis_values
    mongodb          = { database_name = local.mongodb.database_name }
    storage_blob = {
      blob_endpoint  = local.has_storage_blob ? var.storage_blob.blob_endpoint : ""
      container_name = local.has_storage_blob ? var.storage_blob.container_name : ""
    }
    application_insights = {}
  }

  # ---------------------------------------------------------------------------------------------------
  # Secrets (passwords, keys and connection strings that embed one)
  # ---------------------------------------------------------------------------------------------------
  # URLs with credentials, TLS on: the generic form (pg, mysql2, Prisma...) and SQLAlchemy's, which names the
  # driver (a bare postgresql:// means psycopg 3 to SQLAlchemy 2.1, which most apps do not ship).
  database_credentials = "${urlencode(local.db.username)}:${urlencode(local.db.password)}@${local.db.host}:${local.db.port}/${local.db.database_name}"
  database_url_scheme  = { postgresql = "postgresql", mysql = "mysql", sql_server = "mssql" }[local.db.engine]
  database_url_query   = { postgresql = "?sslmode=require", mysql = "?ssl-mode=REQUIRED", sql_server = "?encrypt=true" }[local.db.engine]
  database_url         = "${local.database_url_scheme}://${local.database_credentials}${local.database_url_query}"
  sqlalchemy_scheme    = { postgresql = "postgresql+psycopg2", mysql = "mysql+pymysql", sql_server = "mssql+pyodbc" }[local.db.engine]
  sqlalchemy_query = {
    postgresql = "?sslmode=require"
    mysql      = "?ssl_ca=/etc/ssl/certs/ca-certificates.crt"
    sql_server = "?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes"
  }[local.db.engine]
  database_url_sqlalchemy = "${local.sqlalchemy_scheme}://${local.database_credentials}${local.sqlalchemy_query}"

  # ADO.NET connection string of each engine's usual .NET provider (Npgsql, MySqlConnector, SqlClient).
  database_dotnet_connection_string = {
    postgresql = "Host=${local.db.host};Port=${local.db.port};Database=${local.db.database_name};Username=${local.db.username};Password=${local.db.password};SSL Mode=Require"
    mysql      = "Server=${local.db.host};Port=${local.db.port};Database=${local.db.database_name};User ID=${local.db.username};Password=${local.db.password};SslMode=Required"
    sql_server = "Server=tcp:${local.db.host},${local.db.port};Database=${local.db.database_name};User ID=${local.db.username};Password=${local.db.password};Encrypt=True;TrustServerCertificate=False"
  }[local.db.engine]

  # The database goes into the URI's path (mongodb://user:key@host:port/<database>?...): drivers that take the
  # database from the URI (Spring, Mongoose, PyMongo's get_default_database) then never fall back to `test`.
  mongodb_uri = replace(local.mongodb.connection_string, "/^(.*@[^/?@]+)/?(\\?|$)/", "$${1}/${local.mongodb.database_name}$${2}")

  # ---------------------------------------------------------------------------------------------------
  # Names (settings.json) for this runtime and the services this environment has
  # ---------------------------------------------------------------------------------------------------
  services = concat(
    ["identity"],
    local.has_database ? ["database"] : [],
    local.has_redis ? ["redis", local.redis_uses_key ? "redis_access_key" : "redis_entra_id"] : [],
    local.has_mongodb ? ["mongodb"] : [],
    local.has_storage_blob ? ["storage_blob"] : [],
    local.has_application_insights ? ["application_insights"] : [],
  )
  conventions = flatten([
    for service in local.services : [
      for convention in local.catalogue[service] : merge(convention, { service = service })
      if contains(convention.runtimes, "*") || contains(convention.runtimes, var.runtime)
    ]
  ])

  managed_settings = merge({}, [
    for convention in local.conventions : {
      for name, value in convention.settings : name => value == "true" ? "true" : local.values[convention.service][value]
    }
  ]...)
  # Setting name => name of the secret it carries.
  managed_secret_settings = merge({}, [for convention in local.conventions : convention.secrets]...)

  # ---------------------------------------------------------------------------------------------------
  # The team's own settings (root variables app_settings and secret_app_settings)
  # ---------------------------------------------------------------------------------------------------
  # Setting names are not secret, only their values: for_each and the error messages may use them.
  user_secret_names = nonsensitive(toset(keys(var.user_secret_settings)))
  managed_names     = { for name in concat(keys(local.managed_settings), keys(local.managed_secret_settings)) : upper(name) => name }
  collisions = concat(
    [for name in keys(var.user_settings) : "app_settings sets ${name}, a setting nimbus manages (${local.managed_names[upper(name)]})" if contains(keys(local.managed_names), upper(name))],
    [for name in local.user_secret_names : "secret_app_settings sets ${name}, a setting nimbus manages (${local.managed_names[upper(name)]})" if contains(keys(local.managed_names), upper(name))],
    [for name in keys(var.user_settings) : "app_settings and secret_app_settings both set ${name}" if contains([for secret in local.user_secret_names : upper(secret)], upper(name))],
    [for key, names in local.user_secret_keys : "secret_app_settings ${join(" and ", names)} would share Key Vault secret ${key}" if length(names) > 1],
  )
  # A user secret is stored as Key Vault secret "app-<name>" (letters, digits and hyphens only).
  user_secret_key  = { for name in local.user_secret_names : name => "app-${trim(lower(replace(name, "/[^A-Za-z0-9]+/", "-")), "-")}" }
  user_secret_keys = { for name, key in local.user_secret_key : key => name... }

  # ---------------------------------------------------------------------------------------------------
  # Results
  # ---------------------------------------------------------------------------------------------------
  settings        = merge(local.managed_settings, var.user_settings)
  secret_settings = merge(local.managed_secret_settings, local.user_secret_key)

  # Every secret a setting may carry; only the ones named in secret_settings are output.
  secret_values = merge(
    {
      "database-password"                     = local.db.password
      "database-url"                          = local.database_url
      "database-url-sqlalchemy"               = local.database_url_sqlalchemy
      "database-connection-string"            = local.database_dotnet_connection_string
      "redis-access-key"                      = local.redis_key
      "redis-url"                             = "rediss://:${urlencode(local.redis_key)}@${local.redis_address}"
      "mongodb-connection-string"             = local.mongodb_uri
      "applicationinsights-connection-string" = local.has_application_insights ? var.application_insights.connection_string : ""
    },
    { for name, key in local.user_secret_key : key => var.user_secret_settings[name] },
  )

  secrets = { for name in distinct(values(local.secret_settings)) : name => local.secret_values[name] }
}
