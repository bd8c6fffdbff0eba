locals {
  # One switch drives the network mode: a private endpoint means no public endpoint at all.
  public_access = var.private_endpoint == null

  # How the app signs in (outputs auth_mode and app_settings): the key exists for the app only when access
  # keys are on.
  auth_mode  = var.access_keys_authentication_enabled ? "access_key" : "entra_id"
  access_key = var.access_keys_authentication_enabled ? azurerm_managed_redis.this.default_database[0].primary_access_key : null
}
