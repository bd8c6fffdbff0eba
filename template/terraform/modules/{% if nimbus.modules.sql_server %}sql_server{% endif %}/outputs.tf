output "id" {
  description = "Resource id of the logical SQL server."
  value       = azurerm_mssql_server.this.id
}

output "database_id" {
  description = "Resource id of the app's database."
  value       = azurerm_mssql_database.app.id
}

output "host" {
  description = "Fully qualified host name of the server (resolves to the private endpoint inside the virtual network in private mode)."
  value       = azurerm_mssql_server.this.fully_qualified_domain_name
}

output "port" {
  description = "TCP port of the server."
  value       = 1433
}

output "database_name" {
  description = "Name of the app's database."
  value       = azurerm_mssql_database.app.name
}

output "username" {
  description = "SQL login the app connects with."
  value       = azurerm_mssql_server.this.administrator_login
}

output "password" {
  description = "Password of username."
  value       = random_password.administrator.result
  sensitive   = true
}

output "jdbc_url" {
  description = "JDBC URL (Microsoft JDBC driver) of the app's database, encrypted with server certificate validation; credentials are passed separately."
  value       = "jdbc:sqlserver://${azurerm_mssql_server.this.fully_qualified_domain_name}:1433;database=${azurerm_mssql_database.app.name};encrypt=true;trustServerCertificate=false;hostNameInCertificate=*.database.windows.net;loginTimeout=30;"
}
