"""Alembic environment of the fixture: migrate the database of the Flask app that runs `flask db ...`."""

from alembic import context
from flask import current_app

database = current_app.extensions["migrate"].db
metadata = database.metadata

if context.is_offline_mode():
    context.configure(url=str(database.engine.url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
