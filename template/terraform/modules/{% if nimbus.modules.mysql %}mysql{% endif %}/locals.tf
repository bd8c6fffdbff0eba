locals {
  # One switch drives the network mode: a private endpoint means no public endpoint at all.
  public_access = var.private_endpoint == null

  # The app's database by JDBC (outputs jdbc_url and app_settings).
  jdbc_url = "jdbc:mysql://${azurerm_mysql_flexible_server.this.fqdn}:3306/${azurerm_mysql_flexible_database.app.name}?sslMode=REQUIRED"
}
