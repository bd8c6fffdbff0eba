# Names of every resource of one environment.
#
# The rules live in nimbus.json (rendered from the template's naming.json): project names are 2-12 characters,
# environments 1-8, both lowercase letters, digits and single hyphens. Every name below holds the project and
# the environment in full, so two environments (or two projects) never share a resource.
#
# Globally unique names (they become DNS names: *.azurewebsites.net, *.vault.azure.net, ...) also carry a
# deterministic suffix: the first characters of sha1(subscription id / project / environment). The same branch
# in the same subscription always gets the same names, so a destroyed and re-created environment reuses them
# (a soft-deleted Key Vault is recovered rather than blocked), and the same project in two subscriptions
# never collides.
#
# Patterns are plain data so that tests/test_terraform.py can check every one of them against the Azure rules
# of its service, for the longest project and environment names. Placeholders:
#   {project}, {environment}                  the names as given
#   {project_compact}, {environment_compact}  the same without hyphens (services that allow no hyphens)
#   {suffix}                                  the unique suffix (unique_suffix_length characters, 0-9a-f)
#   {short_suffix}                            the suffix without its last character, for the two storage
#                                             accounts (24 characters at most: 12 + 8 + 4), whose last
#                                             character says what each one is for ("f" functions, "b" blobs)
locals {
  settings = jsondecode(file("${path.module}/nimbus.json"))
  project  = local.settings.project
  location = local.settings.region

  suffix = substr(
    sha1("${local.subscription_id}/${local.project}/${var.environment}"),
    0,
    local.settings.naming.unique_suffix_length
  )

  name_parts = {
    project             = local.project
    environment         = var.environment
    project_compact     = replace(local.project, "-", "")
    environment_compact = replace(var.environment, "-", "")
    suffix              = local.suffix
    short_suffix        = substr(local.suffix, 0, local.settings.naming.unique_suffix_length - 1)
  }

  # One entry per resource. Keep the keys in sync with NAME_RULES in tests/test_terraform.py.
  name_patterns = {
    resource_group            = local.settings.naming.resource_group
    identity                  = "id-{project}-{environment}"
    log_analytics             = "log-{project}-{environment}"
    application_insights      = "appi-{project}-{environment}"
    virtual_network           = "vnet-{project}-{environment}"
    service_plan              = "asp-{project}-{environment}"
    web_app                   = "app-{project}-{environment}-{suffix}"
    function_app              = "func-{project}-{environment}-{suffix}"
    function_storage          = "{project_compact}{environment_compact}{short_suffix}f"
    container_app_environment = "cae-{project}-{environment}"
    container_app             = "ca-{project}-{environment}"
    container_registry        = "cr{project_compact}{environment_compact}{suffix}"
    key_vault                 = "{project_compact}{environment_compact}{suffix}"
    postgresql                = "psql-{project}-{environment}-{suffix}"
    mysql                     = "mysql-{project}-{environment}-{suffix}"
    sql_server                = "sql-{project}-{environment}-{suffix}"
    redis                     = "redis-{project}-{environment}-{suffix}"
    storage_blob              = "{project_compact}{environment_compact}{short_suffix}b"
    cosmosdb_mongodb          = "cosmos-{project}-{environment}-{suffix}"
  }

  # "{project}" is not a substring of "{project_compact}" (nor "{suffix}" of "{short_suffix}"): the order of
  # the replacements does not matter.
  names = {
    for key, pattern in local.name_patterns : key => replace(replace(replace(replace(replace(replace(
      pattern,
      "{project}", local.name_parts.project),
      "{environment}", local.name_parts.environment),
      "{project_compact}", local.name_parts.project_compact),
      "{environment_compact}", local.name_parts.environment_compact),
      "{suffix}", local.name_parts.suffix),
      "{short_suffix}", local.name_parts.short_suffix
    )
  }
}
