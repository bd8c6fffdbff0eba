output "id" {
  description = "Resource id of the Cosmos DB account."
  value       = azurerm_cosmosdb_account.this.id
}

output "app_settings" {
  description = "How the app reaches its MongoDB database, the object modules/app_settings takes as input `mongodb`: connection_string (the primary mongodb:// connection string, TLS on port 10255, containing the account key and not the database; the only secret: it stays sensitive for the caller), database_name (the app's database)."
  value = {
    connection_string = azurerm_cosmosdb_account.this.primary_mongodb_connection_string
    database_name     = azurerm_cosmosdb_mongo_database.app.name
  }
  sensitive = true
}
