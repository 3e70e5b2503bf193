"""Command-line tools: ``flask --app diagnose <command>``."""

from __future__ import annotations

import secrets

import click
from flask import Flask

from .auth import ROLES, create_center, create_user
from .storage import connect, migrate, schema_version, transaction


def init_app(app: Flask) -> None:
    init_model_commands(app)
    init_roadmap_commands(app)

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
    @click.option("--token", is_flag=True, help="Also create and print an API token.")
    def create_user_command(email, name, center_name, region, role, password, token) -> None:
        """Create a login for a consultant or center staff member."""
        from .auth import create_api_token

        db = connect(app.config["DATABASE"])
        password = password or secrets.token_urlsafe(12)
        with transaction(db):
            row = db.execute("SELECT id FROM centers WHERE name = ?", [center_name]).fetchone()
            center_id = row[0] if row else create_center(db, center_name, region)
            user_id = create_user(db, center_id, email, name, password, role)
            api_token = create_api_token(db, user_id, "cli") if token else None
        click.echo(f"created {role} {email} in center '{center_name}'; password: {password}")
        if api_token:
            click.echo(f"API token: {api_token}")


def init_model_commands(app: Flask) -> None:
    from pathlib import Path

    from .diagnosis.model import TrackModel
    from .diagnosis.store import SHIPPED_MODELS, current_model_path, real_examples, set_current
    from .diagnosis.training import card_markdown, save_model, should_replace, train

    model_group = click.Group("model", help="Train and inspect the track model.")
    app.cli.add_command(model_group)

    @model_group.command("train")
    @click.option("--seed", default=20261122, show_default=True)
    @click.option("--bootstrap-size", default=3000, show_default=True)
    @click.option(
        "--ship",
        is_flag=True,
        help="Write into the package's trained_models/ (for a release) instead of "
        "the instance folder.",
    )
    def train_command(seed: int, bootstrap_size: int, ship: bool) -> None:
        """Train on the bootstrap set and every consultant decision; keep it if not worse."""
        folder = SHIPPED_MODELS if ship else Path(app.instance_path) / "models"
        db = connect(app.config["DATABASE"])
        real = [] if ship else real_examples(db)
        questionnaire = app.extensions["questionnaires"].current
        model, held_out = train(questionnaire, real, seed=seed, bootstrap_size=bootstrap_size)
        try:
            current = TrackModel.load(current_model_path(folder))
        except FileNotFoundError:
            current = None
        accepted, why = should_replace(model, current, questionnaire, held_out)
        model.card["replacement"] = {"accepted": accepted, "why": why}
        path = save_model(model, folder)
        click.echo(card_markdown(model.card))
        if accepted:
            set_current(folder, path)
            click.echo(f"model {model.version} is now current ({why}); restart the app to use it")
        else:
            click.echo(f"model {model.version} saved but NOT made current: {why}")

    @model_group.command("card")
    def card_command() -> None:
        """Print the current model's card."""
        model = app.extensions["track_model"]
        click.echo(card_markdown(model.card))

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--label", default="", help="What the token is for.")
    def create_token_command(email: str, label: str) -> None:
        """Create an API token for an existing user and print it (it is shown only once)."""
        from .auth import create_api_token

        db = connect(app.config["DATABASE"])
        row = db.execute("SELECT id FROM users WHERE email = ?", [email.strip().lower()]).fetchone()
        if row is None:
            raise click.ClickException(f"no user {email}")
        click.echo(create_api_token(db, row[0], label))

    @app.cli.command("end-sessions")
    @click.argument("email")
    def end_sessions_command(email: str) -> None:
        """Log a user out everywhere (a lost laptop, a consultant who left)."""
        from .auth import end_user_sessions

        db = connect(app.config["DATABASE"])
        row = db.execute("SELECT id FROM users WHERE email = ?", [email.strip().lower()]).fetchone()
        if row is None:
            raise click.ClickException(f"no user {email}")
        click.echo(f"{end_user_sessions(db, row[0])} open sessions ended")


def init_roadmap_commands(app: Flask) -> None:
    roadmap_group = click.Group("roadmap", help="Training roadmap reports.")
    app.cli.add_command(roadmap_group)

    @roadmap_group.command("render")
    @click.argument("assessment_id", type=int)
    @click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
    @click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False),
        help="Where to write the PDF (default: roadmap-<id>-<lang>.pdf).",
    )
    def render_command(assessment_id: int, lang: str, output: str | None) -> None:
        """Write the roadmap PDF of a submitted assessment (rendered here, in a render child,
        into the same cache the queue fills)."""
        from . import jobs
        from .roadmap.pdf import RenderError, cache_path
        from .roadmap.report import registry_needs_real_entries

        try:
            key = jobs.render_report_now(app, assessment_id, lang)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        except RenderError as exc:
            raise click.ClickException(f"the report could not be rendered: {exc}") from None
        pdf = cache_path(jobs.reports_folder(app), key).read_bytes()
        if registry_needs_real_entries(app.extensions["roadmap_data"]):
            click.echo(
                "note: the registry of shared training centers (roadmap_templates/centers.yaml) "
                "holds only sample entries, so referrals name no center; enter the real ones.",
                err=True,
            )
        path = output or f"roadmap-{assessment_id}-{lang}.pdf"
        with open(path, "wb") as out:
            out.write(pdf)
        click.echo(f"{path}: {len(pdf) // 1024} KB")
