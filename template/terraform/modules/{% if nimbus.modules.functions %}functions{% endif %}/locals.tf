locals {
  is_docker = var.runtime_family == "docker"
  is_flex   = !local.is_docker

  # Flex Consumption runtime names for each language.
  flex_runtime_name = {
    java   = "java"
    dotnet = "dotnet-isolated"
    node   = "node"
    python = "python"
    docker = null
  }[var.runtime_family]

  # The Functions host reaches its storage account with the user-assigned identity: no account key exists.
  host_storage_settings = {
    AzureWebJobsStorage__credential = "managedidentity"
    AzureWebJobsStorage__clientId   = var.identity.client_id
  }

  # The provider keeps the Application Insights connection string in site_config (and strips it from
  # app_settings when it reads the app back), so it is taken out of the settings and set there.
  all_settings = merge(var.app_settings, var.secret_app_settings)
  app_settings = {
    for name, value in local.all_settings : name => value if name != "APPLICATIONINSIGHTS_CONNECTION_STRING"
  }
  application_insights_connection_string = lookup(local.all_settings, "APPLICATIONINSIGHTS_CONNECTION_STRING", null)
}
