output "id" {
  description = "Resource id of the logical SQL server."
  value       = azurerm_mssql_server.this.id
}

output "database_id" {
  description = "Resource id of the app's database."
  value       = azurerm_mssql_database.app.id
}

output "app_settings" {
  description = "How the app reaches its database, the object modules/app_settings takes as input `database`: engine (\"sql_server\"), host (fully qualified; resolves to the private endpoint inside the virtual network in private mode), port (1433), database_name (the app's database), username (the SQL administrator login), password (generated; the only secret: it stays sensitive for the caller), jdbc_url (Microsoft JDBC driver, encrypted with server certificate validation; credentials are passed separately)."
  value = {
    engine        = "sql_server"
    host          = azurerm_mssql_server.this.fully_qualified_domain_name
    port          = 1433
    database_name = azurerm_mssql_database.app.name
    username      = azurerm_mssql_server.this.administrator_login
    password      = random_password.administrator.result
    jdbc_url      = "jdbc:sqlserver://${azurerm_mssql_server.this.fully_qualified_domain_name}:1433;database=${azurerm_mssql_database.app.name};encrypt=true;trustServerCertificate=false;hostNameInCertificate=*.database.windows.net;loginTimeout=30;"
  }
  sensitive = true
}
