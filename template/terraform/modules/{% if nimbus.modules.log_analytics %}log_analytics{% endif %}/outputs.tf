output "id" {
  description = "Resource ID of the workspace (for diagnostic settings, Container Apps and Application Insights)."
  value       = azurerm_log_analytics_workspace.this.id
}

output "name" {
  description = "Name of the workspace."
  value       = azurerm_log_analytics_workspace.this.name
}

output "workspace_id" {
  description = "Workspace (customer) ID, the GUID that queries use."
  value       = azurerm_log_analytics_workspace.this.workspace_id
}
