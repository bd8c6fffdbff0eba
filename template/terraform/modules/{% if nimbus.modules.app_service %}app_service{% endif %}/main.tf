resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_211:B1 is the default of a short-lived per-branch environment; production-grade SKUs are a variable away (app_service_sku_name).
  #checkov:skip=CKV_AZURE_212:One instance per short-lived environment; failover instances would double its cost.
  #checkov:skip=CKV_AZURE_225:Zone redundancy needs Premium v3 and three instances, out of proportion for a per-branch environment.
  name                   = var.service_plan_name
  location               = var.location
  resource_group_name    = var.resource_group_name
  os_type                = "Linux"
  sku_name               = var.sku_name
  worker_count           = 1
  zone_balancing_enabled = false
  tags                   = var.tags
}

resource "azurerm_linux_web_app" "this" {
  #checkov:skip=CKV_AZURE_13:The app is a public web app that authenticates its users itself; App Service Authentication would put every request behind an Entra ID login.
  #checkov:skip=CKV_AZURE_17:Browsers do not present client certificates; mutual TLS is not what a public web app wants.
  #checkov:skip=CKV_AZURE_222:The app is the environment's public entry point; its data services are the ones kept private.
  #checkov:skip=CKV_AZURE_88:The app keeps no files on Azure Files; state lives in the environment's data services.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  https_only                                     = true
  public_network_access_enabled                  = true
  client_affinity_enabled                        = false
  client_certificate_enabled                     = false
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false

  # Key Vault references are resolved with the user-assigned identity (it holds "Key Vault Secrets User").
  key_vault_reference_identity_id = var.identity.id

  # Regional VNet integration; with route-all below, every outbound call (to the private endpoints, too)
  # goes through the environment's network.
  virtual_network_subnet_id = var.vnet_integration == null ? null : var.vnet_integration.subnet_id

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity.id]
  }

  app_settings = merge(local.platform_settings, var.app_settings, var.secret_app_settings)

  site_config {
    always_on                         = true
    ftps_state                        = "Disabled"
    http2_enabled                     = true
    minimum_tls_version               = "1.2"
    scm_minimum_tls_version           = "1.2"
    remote_debugging_enabled          = false
    health_check_path                 = var.health_check_path
    health_check_eviction_time_in_min = 10
    vnet_route_all_enabled            = var.vnet_integration != null
    app_command_line                  = var.startup_command

    # Images come from the environment's registry, pulled with the user-assigned identity (AcrPull): no
    # registry password anywhere.
    container_registry_use_managed_identity       = local.is_docker
    container_registry_managed_identity_client_id = local.is_docker ? var.identity.client_id : null

    application_stack {
      java_server         = var.runtime_family == "java" ? "JAVA" : null
      java_server_version = var.runtime_family == "java" ? var.runtime_version : null
      java_version        = var.runtime_family == "java" ? var.runtime_version : null
      dotnet_version      = var.runtime_family == "dotnet" ? var.runtime_version : null
      node_version        = var.runtime_family == "node" ? "${var.runtime_version}-lts" : null
      python_version      = var.runtime_family == "python" ? var.runtime_version : null
      docker_image_name   = local.is_docker ? var.container_image.name : null
      docker_registry_url = local.is_docker ? "https://${var.container_image.registry_login_server}" : null
    }
  }

  logs {
    detailed_error_messages = true
    failed_request_tracing  = true

    http_logs {
      file_system {
        retention_in_days = 7
        retention_in_mb   = 35
      }
    }
  }

  tags = var.tags

  lifecycle {
    # The deploy workflow moves the app to each new image tag; Terraform must not move it back to the
    # image it was created with.
    ignore_changes = [site_config[0].application_stack[0].docker_image_name]
  }
}

module "diagnostic_setting" {
  source = "../diagnostic_setting"

  name                       = "to-log-analytics"
  target_resource_id         = azurerm_linux_web_app.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id
}
