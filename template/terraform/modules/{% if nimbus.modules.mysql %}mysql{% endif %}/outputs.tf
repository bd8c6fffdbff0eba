output "id" {
  description = "Resource id of the MySQL flexible server."
  value       = azurerm_mysql_flexible_server.this.id
}

output "app_settings" {
  description = "How the app reaches its database, the object modules/app_settings takes as input `database`: engine (\"mysql\"), host (fully qualified; resolves to the private endpoint inside the virtual network in private mode), port (3306), database_name (the app's database), username (the administrator login), password (generated; the only secret: it stays sensitive for the caller), jdbc_url (MySQL Connector/J, TLS required: sslMode=REQUIRED; credentials are passed separately)."
  value = {
    engine        = "mysql"
    host          = azurerm_mysql_flexible_server.this.fqdn
    port          = 3306
    database_name = azurerm_mysql_flexible_database.app.name
    username      = azurerm_mysql_flexible_server.this.administrator_login
    password      = random_password.administrator.result
    jdbc_url      = "jdbc:mysql://${azurerm_mysql_flexible_server.this.fqdn}:3306/${azurerm_mysql_flexible_database.app.name}?sslMode=REQUIRED"
  }
  sensitive = true
}
