resource "azurerm_container_app_environment" "this" {
  name                = var.environment_name
  location            = var.location
  resource_group_name = var.resource_group_name

  logs_destination           = "log-analytics"
  log_analytics_workspace_id = var.log_analytics_workspace_id

  # A workload-profiles environment (with the serverless Consumption profile) can join a /27 subnet; the
  # legacy consumption-only kind would need a /23. Without a subnet, Azure manages the network.
  # internal_load_balancer_enabled and zone_redundancy_enabled are RequiredWith infrastructure_subnet_id in azurerm
  # (a literal false counts as set): both are null without a subnet.
  infrastructure_subnet_id       = var.infrastructure_subnet == null ? null : var.infrastructure_subnet.id
  internal_load_balancer_enabled = var.infrastructure_subnet == null ? null : false
  zone_redundancy_enabled        = var.infrastructure_subnet == null ? null : false

  workload_profile {
    name                  = local.workload_profile_name
    workload_profile_type = "Consumption"
  }

  tags = var.tags

  lifecycle {
    # Azure names the infrastructure resource group of a workload-profiles environment itself.
    ignore_changes = [infrastructure_resource_group_name]
  }
}

resource "azurerm_container_app" "this" {
  name                         = var.name
  container_app_environment_id = azurerm_container_app_environment.this.id
  resource_group_name          = var.resource_group_name
  revision_mode                = "Single"
  workload_profile_name        = local.workload_profile_name

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity.id]
  }

  # Images are pulled with the user-assigned identity (AcrPull): the registry has no admin user.
  registry {
    server   = var.registry_login_server
    identity = var.identity.id
  }

  dynamic "secret" {
    for_each = nonsensitive(toset(keys(var.secrets)))

    content {
      name                = secret.key
      value               = var.secrets[secret.key].value
      key_vault_secret_id = var.secrets[secret.key].key_vault_secret_id
      identity            = var.secrets[secret.key].key_vault_secret_id == null ? null : var.identity.id
    }
  }

  ingress {
    external_enabled           = true
    target_port                = var.target_port
    transport                  = "auto"
    allow_insecure_connections = false

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas

    container {
      name   = "app"
      image  = var.placeholder_image
      cpu    = var.cpu
      memory = "${var.cpu * 2}Gi"

      # Makes the placeholder image listen on target_port (ignored by non-.NET images).
      env {
        name  = "ASPNETCORE_HTTP_PORTS"
        value = tostring(var.target_port)
      }

      dynamic "env" {
        for_each = var.environment_variables

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secret_environment_variables

        content {
          name        = env.key
          secret_name = env.value
        }
      }
    }
  }

  tags = var.tags

  lifecycle {
    # The app starts on a public placeholder image; the deploy workflow then builds the real image, pushes
    # it to the environment's registry and points the app at it (az containerapp update --image). Ignoring
    # the image here keeps `terraform apply` from rolling every deployment back to the placeholder.
    ignore_changes = [template[0].container[0].image]
  }
}
