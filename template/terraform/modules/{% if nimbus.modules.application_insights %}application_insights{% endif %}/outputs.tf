output "id" {
  description = "Resource id of the Application Insights component."
  value       = azurerm_application_insights.this.id
}

output "connection_string" {
  description = "Connection string for APPLICATIONINSIGHTS_CONNECTION_STRING (contains the instrumentation key)."
  value       = azurerm_application_insights.this.connection_string
  sensitive   = true
}

output "local_authentication_enabled" {
  description = "false when the app must authenticate its telemetry with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)."
  value       = azurerm_application_insights.this.local_authentication_enabled
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `application_insights`; its connection_string is a secret."
  value = {
    connection_string = azurerm_application_insights.this.connection_string
  }
  sensitive = true
}
