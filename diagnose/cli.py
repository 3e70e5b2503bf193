"""Command-line tools: ``flask --app diagnose <command>``."""

from __future__ import annotations

import secrets

import click
from flask import Flask

from .auth import ROLES, create_center, create_user
from .storage import connect, migrate, schema_version, transaction


def init_app(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Apply pending schema migrations (also done at every start)."""
        db = connect(app.config["DATABASE"])
        ran = migrate(db)
        click.echo(f"{ran} migration(s) applied; schema version {schema_version(db)}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True, help="The person's name as shown in reports.")
    @click.option(
        "--center",
        "center_name",
        required=True,
        help="The center's name; created if it does not exist.",
    )
    @click.option("--region", default="seoul", help="The center's region, for a new center.")
    @click.option("--role", type=click.Choice(ROLES), default="consultant")
    @click.option("--password", help="Leave out to generate one.")
    def create_user_command(email, name, center_name, region, role, password) -> None:
        """Create a login for a consultant or center staff member."""
        db = connect(app.config["DATABASE"])
        password = password or secrets.token_urlsafe(12)
        with transaction(db):
            row = db.execute("SELECT id FROM centers WHERE name = ?", [center_name]).fetchone()
            center_id = row[0] if row else create_center(db, center_name, region)
            create_user(db, center_id, email, name, password, role)
        click.echo(f"created {role} {email} in center '{center_name}'; password: {password}")
