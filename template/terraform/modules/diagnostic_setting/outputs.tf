output "id" {
  description = "Resource id of the diagnostic setting."
  value       = azurerm_monitor_diagnostic_setting.this.id
}
