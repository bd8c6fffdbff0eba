"""Fixture: a Flask + SQLAlchemy app whose schema comes from Flask-Migrate; the database is DATABASE_URL."""

import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


class Visit(db.Model):
    __tablename__ = "visits"
    id = db.Column(db.Integer, primary_key=True)
    path = db.Column(db.String(200), nullable=False)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db)

    @app.get("/health")
    def health():
        # Fails with "no such table" unless `flask db upgrade` ran against DATABASE_URL.
        db.session.add(Visit(path="/health"))
        db.session.commit()
        return {"status": "ok", "visits": db.session.query(Visit).count()}

    return app


app = create_app()
