# Names of every resource of one environment.
#
# The rules live in nimbus.json: `naming` is the project's naming scheme (hooks/data/naming.json in the template;
# the scheme is recorded in .copier-answers.yml, so `copier update` never renames anything). Under scheme 2:
#   - the resource group is rg-<project>--<environment>-<repository token>: "--" never occurs inside a project
#     or environment name, so shop-eu + alice and shop + eu-alice get different groups, and two repositories
#     with the same answers (different tokens) never share one;
#   - names that only need to be unique inside the group keep the project and environment whole;
#   - globally unique names (they become DNS names: *.azurewebsites.net, *.vault.azure.net, ...) end with a
#     suffix: the first characters of sha256("<token>/<project>/<environment>"). Where Azure's limit is too
#     short for the whole "<project>-<environment>" it is cut to fit ({readable}); the suffix keeps it unique.
# Scheme 1 (projects rendered by nimbus 0.2.0 and earlier) is computed by the same code from its own patterns.
#
# scripts/gitops.py and hooks/answers.py (resource_names) compute the same names; tests/test_terraform.py runs
# this file with `terraform console` and compares.
locals {
  settings = jsondecode(file("${path.module}/nimbus.json"))
  project  = local.settings.project
  location = local.settings.region
  naming   = local.settings.naming
  token    = try(local.settings.repository_token, "")

  hash_input = replace(replace(replace(replace(
    local.naming.hash.input,
    "{subscription}", local.subscription_id),
    "{token}", local.token),
    "{project}", local.project),
    "{environment}", var.environment
  )
  suffix = substr(
    local.naming.hash.function == "sha1" ? sha1(local.hash_input) : sha256(local.hash_input),
    0,
    local.naming.suffix_length
  )

  name_parts = {
    project             = local.project
    environment         = var.environment
    project_compact     = replace(local.project, "-", "")
    environment_compact = replace(var.environment, "-", "")
    token               = local.token
    suffix              = local.suffix
    short_suffix        = substr(local.suffix, 0, local.naming.suffix_length - 1)
  }
  readable = "${local.project}-${var.environment}"

  # Every placeholder but {readable} and {readable_compact}; the order of the replacements does not matter
  # ("{project}" is not a substring of "{project_compact}", nor "{suffix}" of "{short_suffix}").
  name_patterns = merge({ resource_group = local.naming.resource_group }, local.naming.names)
  partial_names = {
    for key, pattern in local.name_patterns : key => replace(replace(replace(replace(replace(replace(replace(
      pattern,
      "{project}", local.name_parts.project),
      "{environment}", local.name_parts.environment),
      "{project_compact}", local.name_parts.project_compact),
      "{environment_compact}", local.name_parts.environment_compact),
      "{token}", local.name_parts.token),
      "{suffix}", local.name_parts.suffix),
      "{short_suffix}", local.name_parts.short_suffix
    )
  }
  # Room left for {readable} within the resource's Azure limit.
  readable_room = {
    for key, name in local.partial_names :
    key => local.naming.max_length[key] - length(replace(replace(name, "{readable}", ""), "{readable_compact}", ""))
  }
  names = {
    for key, name in local.partial_names : key => replace(replace(
      name,
      "{readable}", replace(substr(local.readable, 0, max(local.readable_room[key], 1)), "/-+$/", "")),
      "{readable_compact}", substr(replace(local.readable, "-", ""), 0, max(local.readable_room[key], 1))
    )
  }
}
