"""Command-line tools: ``flask --app diagnose <command>``."""

from __future__ import annotations

import secrets

import click
from flask import Flask

from .auth import LEGACY_ROLES, ROLES, LoginExists, create_center, create_user
from .records.firms import SIZE_BANDS
from .storage import connect, migrate, schema_version, transaction
from .vocabulary import TRACKS


def init_app(app: Flask) -> None:
    init_model_commands(app)
    init_roadmap_commands(app)
    init_export_command(app)
    init_report_commands(app)
    init_mail_commands(app)

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
    @click.option(
        "--role",
        type=click.Choice([*map(str, ROLES), *LEGACY_ROLES]),  # values, not enum names
        default="consultant",
        help="administrator: every center; center_staff: one center's staff (center_admin "
        "is its old name); consultant: their own caseload.",
    )
    @click.option("--password", help="Leave out to generate one.")
    @click.option("--token", is_flag=True, help="Also create and print an API token.")
    def create_user_command(email, name, center_name, region, role, password, token) -> None:
        """Create a login for a consultant or center staff member."""
        from .auth import create_api_token

        db = connect(app.config["DATABASE"])
        password = password or secrets.token_urlsafe(12)
        try:
            with transaction(db):
                row = db.execute("SELECT id FROM centers WHERE name = ?", [center_name]).fetchone()
                center_id = row[0] if row else create_center(db, center_name, region)
                user_id = create_user(db, center_id, email, name, password, role)
                api_token = (
                    create_api_token(db, user_id, "cli", app.config["API_TOKEN_DAYS"])
                    if token
                    else None
                )
        except LoginExists as exists:
            raise click.ClickException(
                f"a login with this email exists already: {exists}"
            ) from exists
        role = LEGACY_ROLES.get(role, role)
        click.echo(f"created {role} {email} in center '{center_name}'; password: {password}")
        if api_token:
            click.echo(f"API token: {api_token}")


def init_model_commands(app: Flask) -> None:
    from pathlib import Path

    from .diagnosis.model import TrackModel
    from .diagnosis.store import SHIPPED_MODELS, current_model_path, real_examples, set_current

    # Training pulls in scikit-learn (about a second): only when a training command runs,
    # so the defaults are read from training.py only when asked for.
    def training_default(name: str):
        def default():
            from .diagnosis import training

            return getattr(training, name)

        return default

    model_group = click.Group("model", help="Train and inspect the track model.")
    app.cli.add_command(model_group)

    @model_group.command("train")
    @click.option("--seed", default=20261122, show_default=True)
    @click.option(
        "--bootstrap-size",
        type=int,
        default=training_default("BOOTSTRAP_SIZE"),
        show_default="8000",
    )
    @click.option(
        "--label-noise", type=float, default=training_default("LABEL_NOISE"), show_default="0.05"
    )
    @click.option(
        "--ship",
        is_flag=True,
        help="Write into the package's trained_models/ (for a release) instead of "
        "the instance folder.",
    )
    def train_command(seed: int, bootstrap_size: int, label_noise: float, ship: bool) -> None:
        """Train on the bootstrap set and every consultant decision; make it current only
        if it passes every release gate (the card lists them with their values)."""
        from .diagnosis.training import card_markdown, release_gates, save_model, train, verdict

        folder = SHIPPED_MODELS if ship else Path(app.instance_path) / "models"
        db = connect(app.config["DATABASE"])
        real = [] if ship else real_examples(db)
        questionnaire = app.extensions["questionnaires"].current
        model, held_out = train(
            questionnaire, real, seed=seed, bootstrap_size=bootstrap_size, label_noise=label_noise
        )
        try:
            current = TrackModel.load(current_model_path(folder))
        except (FileNotFoundError, ValueError):
            current = None
        gates = release_gates(model, current, questionnaire, held_out, questionnaire.key, len(real))
        accepted, why = verdict(gates)
        model.card["release_gates"] = [
            {"name": g.name, "passed": g.passed, "value": g.value, "requirement": g.requirement}
            for g in gates
        ]
        model.card["replacement"] = {"accepted": accepted, "why": why}
        click.echo(card_markdown(model.card))
        if not accepted:
            # kept for inspection beside the instance's models, never in the package
            path = save_model(model, Path(app.instance_path) / "models" / "refused")
            raise click.ClickException(
                f"model {model.version} NOT made current: {why} (kept in {path.parent})"
            )
        path = save_model(model, folder)
        set_current(folder, path)
        click.echo(f"model {model.version} is now current ({why}); restart the app to use it")

    @model_group.command("card")
    def card_command() -> None:
        """Print the current model's card."""
        from .diagnosis.training import card_markdown

        model = app.extensions["track_model"]
        click.echo(card_markdown(model.card))

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--label", default="", help="What the token is for.")
    def create_token_command(email: str, label: str) -> None:
        """Create an API token for an existing user and print it (it is shown only once)."""
        from .auth import create_api_token

        db = connect(app.config["DATABASE"])
        token = create_api_token(db, _user_id(db, email), label, app.config["API_TOKEN_DAYS"])
        click.echo(token)
        click.echo(f"(valid for {app.config['API_TOKEN_DAYS']} days)", err=True)

    @app.cli.command("end-sessions")
    @click.argument("email")
    def end_sessions_command(email: str) -> None:
        """Log a user out everywhere and revoke their API tokens (a lost laptop, a consultant
        who left)."""
        from .auth import end_user_sessions, revoke_user_tokens

        db = connect(app.config["DATABASE"])
        user_id = _user_id(db, email)
        with transaction(db):
            sessions = end_user_sessions(db, user_id)
            tokens = revoke_user_tokens(db, user_id)
        click.echo(f"{sessions} open sessions ended, {tokens} API tokens revoked")

    @app.cli.command("revoke-tokens")
    @click.argument("email")
    def revoke_tokens_command(email: str) -> None:
        """Revoke every API token of a user (their logins stay)."""
        from .auth import revoke_user_tokens

        db = connect(app.config["DATABASE"])
        click.echo(f"{revoke_user_tokens(db, _user_id(db, email))} API tokens revoked")

    init_lifecycle_commands(app)


# Without --as a command acts as the instance's operator (who holds the database file); with
# it, as that login: its role and caseload apply through the same service checks as its pages.
AS_OPTION = click.option(
    "--as",
    "as_email",
    help="Act as this login (its email): its role and caseload apply, as on its pages.",
)


def _acting_user(db, email: str | None):
    if not email:
        return None
    from .auth import user_by_email

    user = user_by_email(db, email)
    if user is None:
        raise click.ClickException(f"no enabled login {email}")
    return user


def _user_id(db, email: str) -> int:
    row = db.execute("SELECT id FROM users WHERE email = ?", [email.strip().lower()]).fetchone()
    if row is None:
        raise click.ClickException(f"no user {email}")
    return row[0]


def init_lifecycle_commands(app: Flask) -> None:
    from pathlib import Path

    from .services import lifecycle

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False), required=False)
    def backup_command(target: str | None) -> None:
        """Copy the database while the app serves (one consistent snapshot), check it; without
        TARGET, into DIAGNOSE_BACKUP_FOLDER, keeping the newest DIAGNOSE_BACKUP_KEEP."""
        try:
            if target:
                path = lifecycle.backup(app.config["DATABASE"], Path(target))
            else:
                path = lifecycle.scheduled_backup(
                    app.config["DATABASE"], app.config["BACKUP_FOLDER"], app.config["BACKUP_KEEP"]
                )
        except ValueError as damaged:
            raise click.ClickException(str(damaged)) from damaged
        click.echo(f"{path}: {path.stat().st_size // 1024} KB, integrity ok")

    @app.cli.command("restore")
    @click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Replace the database without asking.")
    def restore_command(backup_file: str, yes: bool) -> None:
        """Replace the database with a backup. Stop the app first."""
        if not yes:
            click.confirm(f"Replace {app.config['DATABASE']} with {backup_file}?", abort=True)
        try:
            lifecycle.restore(backup_file, app.config["DATABASE"])
        except ValueError as damaged:
            raise click.ClickException(str(damaged)) from damaged
        db = connect(app.config["DATABASE"])
        click.echo(f"restored; {migrate(db)} migration(s) applied, schema {schema_version(db)}")
        # the erasure log lives outside the database: erasures made since the backup hold
        from .services import erasure

        again = erasure.reapply(db, Path(app.instance_path))
        click.echo(f"erasures re-applied from {erasure.LOG_NAME}: {len(again)} firm(s)")

    @app.cli.command("erase-firm")
    @click.argument("firm_id", type=int)
    @click.option("--center", required=True, help="The firm's center (id or name).")
    @click.option("--yes", is_flag=True, help="Erase without asking.")
    def erase_firm_command(firm_id: int, center: str, yes: bool) -> None:
        """Erase a firm's personal data on its request (PIPA): name, business number,
        contacts, free text, request and decision texts, audit details, its reports and the
        batch files that hold them; the anonymised scores stay. Logged outside the database
        so that a restored backup erases it again."""
        from .services import erasure

        db = connect(app.config["DATABASE"])
        center_id = _center_option(db, center)
        if not yes:
            click.confirm(f"Erase the personal data of firm {firm_id}?", abort=True)
        try:
            counts = erasure.erase_firm(
                db,
                center_id,
                firm_id,
                None,
                Path(app.instance_path) / "reports",
                queue=app.extensions["queue"],
                actor="command line",
            )
        except LookupError:
            raise click.ClickException(f"no firm {firm_id} in center {center}") from None
        click.echo(
            f"firm {firm_id} erased: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        )

    @app.cli.command("purge")
    @click.option("--dry-run", is_flag=True, help="Only count what would go.")
    def purge_command(dry_run: bool) -> None:
        """Delete what the retention settings no longer keep (DIAGNOSE_RETAIN_*)."""
        counts = lifecycle.purge(
            connect(app.config["DATABASE"]),
            Path(app.instance_path) / "reports",
            app.config["RETAIN_LOGIN_SESSIONS_DAYS"],
            app.config["RETAIN_REPORT_FILES_DAYS"],
            app.config["RETAIN_IDEMPOTENCY_HOURS"],
            dry_run,
        )
        verb = "would delete" if dry_run else "deleted"
        click.echo(", ".join(f"{verb} {n} {what}" for what, n in counts.items()))


def init_roadmap_commands(app: Flask) -> None:
    roadmap_group = click.Group("roadmap", help="Training roadmap reports.")
    app.cli.add_command(roadmap_group)

    @roadmap_group.command("train-themes")
    def train_themes():
        """Retrain the task model on the labelled statements and the consultants' settings;
        saved in the instance's models folder, which the app then reads tasks with."""
        from pathlib import Path

        from .roadmap import themes

        db = connect(app.config["DATABASE"])
        try:
            labels = themes.consultant_labels(db)
        finally:
            db.conn.close()
        corpus = themes.load_corpus()
        model = themes.train(corpus, labels)
        path = themes.save_model(
            model, themes.model_path(Path(app.instance_path) / "models", corpus)
        )
        click.echo(f"task model {model.version}: {len(corpus.texts)} statements and "
                   f"{len(labels)} consultants' settings, saved to {path}")  # fmt: skip

    @roadmap_group.command("render")
    @click.argument("assessment_id", type=int)
    @click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
    @click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False),
        help="Where to write the PDF (default: roadmap-<id>-<lang>.pdf).",
    )
    @AS_OPTION
    def render_command(
        assessment_id: int, lang: str, output: str | None, as_email: str | None
    ) -> None:
        """Write the roadmap PDF of a submitted assessment (rendered here, in a render child,
        into the same cache the queue fills)."""
        from . import jobs
        from .roadmap.pdf import RenderError, cache_path
        from .roadmap.report import registry_needs_real_entries
        from .services import access, reports

        db = connect(app.config["DATABASE"])
        user = _acting_user(db, as_email)
        if user is not None:
            try:
                access.assessment_access(db, user, assessment_id)
            except access.NotFound:
                raise click.ClickException(
                    f"no assessment {assessment_id} for {as_email}"
                ) from None
        try:
            key = reports.render_report_now(app, assessment_id, lang)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        except RenderError as exc:
            raise click.ClickException(f"the report could not be rendered: {exc}") from None
        pdf = cache_path(jobs.reports_folder(app), key).read_bytes()
        from .services.registry import current_data

        if registry_needs_real_entries(current_data(connect(app.config["DATABASE"]), app)):
            click.echo(
                "note: the registry of shared training centers holds only sample entries, so "
                "referrals name no center; enter the real ones (administrators: /admin/registry).",
                err=True,
            )
        path = output or f"roadmap-{assessment_id}-{lang}.pdf"
        with open(path, "wb") as out:
            out.write(pdf)
        click.echo(f"{path}: {len(pdf) // 1024} KB")

    @roadmap_group.command("batch")
    @click.option("--center", help="A center's id or name (default: every center).")
    @click.option("--track", type=TRACK_CHOICE, help="Only firms on this track.")
    @click.option("--industry", help="Only firms of this industry (KSIC section letter).")
    @click.option("--size", type=SIZE_CHOICE, help="Only firms of this size band.")
    @click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        required=True,
        help="A .zip (one PDF per firm) or a .pdf (one merged PDF).",
    )
    @click.option(
        "--workers",
        type=int,
        default=2,
        show_default=True,
        help="Start a queue consumer with this many renderers for the batch's time (0: only "
        "consumers already running take the work, e.g. on other machines with Redis).",
    )
    @AS_OPTION
    def batch_command(center, track, industry, size, lang, output, workers, as_email) -> None:
        """Print the latest report of every firm matching the filter on the task queue, with
        a progress bar; a firm whose report fails is listed and the others are printed."""
        import shutil
        import time

        from .records.firms import list_firms
        from .services import batch

        file_format = "pdf" if output.lower().endswith(".pdf") else "zip"
        db = connect(app.config["DATABASE"])
        user = _acting_user(db, as_email)
        center_id = user.center_id if user else _center_option(db, center)
        if user:
            from .services import access

            scope = access.firm_scope(user)  # the login's caseload, as its firm list
        else:
            scope = (
                ("f.center_id = :scope_center", {"scope_center": center_id})
                if center_id is not None
                else ("1", {})
            )
        rows, _total = list_firms(
            db, scope, _filters(track, industry, size), "name", False, 0, None
        )
        chosen = [r["diagnosed_id"] for r in rows if r["diagnosed_id"]]
        if not chosen:
            raise click.ClickException("no diagnosed firm matches")
        if center_id is None:
            # a batch belongs to a center; every center's firms are printed center by center
            centers = {r["center_id"] for r in rows if r["diagnosed_id"]}
            if len(centers) > 1:
                raise click.ClickException(
                    f"the firms belong to {len(centers)} centers: give --center"
                )
            center_id = centers.pop()
        batch_id = batch.create_batch(
            db, user, chosen, lang, file_format, {"track": track}, center_id=center_id
        )
        immediate = app.extensions["queue"].immediate  # the tests: tasks run right here
        consumer = _start_consumer(app, workers) if workers > 0 and not immediate else None
        try:
            with app.app_context():
                batch.enqueue_batch(batch_id, len(chosen))
            with click.progressbar(length=len(chosen), label=f"batch {batch_id}") as bar:
                shown = 0
                while True:
                    state = batch.progress(db, batch_id)
                    finished = state["done"] + state["failed"]
                    bar.update(finished - shown)
                    shown = finished
                    if state["status"] in ("done", "failed"):
                        break
                    if batch.stalled(db, app.config, batch_id):
                        with app.app_context():  # a consumer died mid-render: start again
                            batch.enqueue_batch(batch_id, 1, restart=True)
                    if consumer is not None and consumer.poll() is not None:
                        raise click.ClickException("the queue consumer stopped")
                    time.sleep(0.25)
        finally:
            if consumer is not None:
                consumer.terminate()  # the consumer this command started, by its PID
                consumer.wait(timeout=30)
        state = batch.progress(db, batch_id)
        if state["status"] != "done":
            raise click.ClickException(f"the batch failed: {state['error']}")
        row = next(iter(db.query("SELECT * FROM batches WHERE id = ?", [batch_id])))
        found = batch.batch_file(app.instance_path, row)
        shutil.copyfile(found, output)
        click.echo(f"{output}: {state['done']} reports, {state['failed']} failed")
        for failure in state["failures"]:
            click.echo(
                f"  failed: {failure['firm_name']} (#{failure['assessment_id']}): "
                f"{failure['error']}",
                err=True,
            )


def _start_consumer(app: Flask, workers: int):
    """A queue consumer for a batch started from the command line (stopped by its PID)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": app.instance_path,
        "DIAGNOSE_DATABASE": app.config["DATABASE"],
    }
    if app.config.get("QUEUE_URL"):
        env["DIAGNOSE_QUEUE_URL"] = app.config["QUEUE_URL"]
    return subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", str(workers), "--die-with-parent"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _filters(track: str | None, industry: str | None, size: str | None):
    from .records.firms import FirmFilter

    return FirmFilter(state=track or "", industry=industry or "", size=size or "")


def _center_option(db, center: str | None) -> int | None:
    """A center given by id or name (None: every center)."""
    if center is None:
        return None
    row = db.execute(
        "SELECT id FROM centers WHERE CAST(id AS TEXT) = ? OR name = ?", [center, center]
    ).fetchone()
    if row is None:
        raise click.ClickException(f"no center {center}")
    return row[0]


TRACK_CHOICE = click.Choice([str(t) for t in TRACKS])
SIZE_CHOICE = click.Choice(list(SIZE_BANDS))


def init_export_command(app: Flask) -> None:
    @app.cli.command("export")
    @click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), required=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
    @click.option("--center", help="A center's id or name (default: every center).")
    @click.option("--track", type=TRACK_CHOICE, help="Only firms on this track.")
    @click.option("--industry", help="Only firms of this industry (KSIC section letter).")
    @click.option("--size", type=SIZE_CHOICE, help="Only firms of this size band.")
    @AS_OPTION
    def export_command(file_format, output, center, track, industry, size, as_email) -> None:
        """Export firms, diagnoses, dimension scores, tracks, overrides and training taken
        (Korean headers), as the center dashboard's export does."""
        from pathlib import Path

        from .services import access, export

        db = connect(app.config["DATABASE"])
        user = _acting_user(db, as_email)
        try:
            with open(output, "wb") as out:  # written row by row, never held whole in memory
                firms = export.export(
                    db,
                    user,
                    _filters(track, industry, size),
                    file_format,
                    app.extensions["questionnaires"].current,
                    out,
                    center_id=None if user else _center_option(db, center),
                )
        except access.Forbidden:
            Path(output).unlink(missing_ok=True)
            raise click.ClickException(f"{as_email} may not export: center staff only") from None
        click.echo(f"{output}: {firms} firms, {Path(output).stat().st_size // 1024} KB")


def init_report_commands(app: Flask) -> None:
    report_group = click.Group("report", help="Reports for the ministry.")
    app.cli.add_command(report_group)

    @report_group.command("kpi")
    @click.option("--from", "start", required=True, help="First day, YYYY-MM-DD (Korea time).")
    @click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD (inclusive).")
    @click.option("--format", "file_format", type=click.Choice(["xlsx", "pdf"]), required=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
    @click.option("--center", help="A center's id or name (default: every center, each apart).")
    @click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
    def kpi_command(start, end, file_format, output, center, lang) -> None:
        """Firms found, diagnosed, by track, referred, trained, re-diagnosed (T0->T1 by area)
        and requests answered within the promise: per month and the period's total, per
        center (the center page's figures)."""
        from datetime import date

        from flask_babel import force_locale

        from .services import kpi
        from .web import kpi as kpi_pages

        try:
            period = kpi.Period.of(start, end)
        except kpi.PeriodError as error:
            raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
        db = connect(app.config["DATABASE"])
        questionnaire = app.extensions["questionnaires"].current
        figures = kpi.figures(
            db,
            kpi.report_centers(db, None, _center_option(db, center)),
            period,
            [d.id for d in questionnaire.dimensions],
            int(app.config.get("REQUEST_ANSWER_DAYS") or kpi.PROMISE_DAYS),
        )
        with app.test_request_context(), force_locale(lang):
            if file_format == "xlsx":
                content = kpi_pages.to_xlsx(figures, questionnaire, lang)
            else:
                html = kpi_pages.render_report(
                    figures, questionnaire, lang, made_on=date.today().isoformat()
                )
                content = kpi_pages.to_pdf(html)
        with open(output, "wb") as out:
            out.write(content)
        centers = len(figures["centers"])
        click.echo(
            f"{output}: {len(content) // 1024} KB, {centers} center(s), "
            f"{period.start} – {period.end}"
        )


def init_mail_commands(app: Flask) -> None:
    """``flask mail send`` and ``flask mail list``: the outbox (``services/mailing.py``)."""
    from flask import current_app
    from flask.cli import AppGroup

    from .services import mail, mailing
    from .storage import get_db

    mail_command = AppGroup("mail", help="The outbox: mails to firms and consultants.")
    app.cli.add_command(mail_command)

    @mail_command.command("send")
    def send_command():
        """Queue every mail not sent yet (after configuring DIAGNOSE_MAIL_SERVER)."""
        if not mailing.configured(current_app._get_current_object()):
            raise click.ClickException("DIAGNOSE_MAIL_SERVER is not set: the mails keep waiting")
        ids = mail.unsent(get_db())
        click.echo(f"{mailing.send_soon(ids)} mails queued")

    @mail_command.command("list")
    @click.option("--center", "center_id", type=int, required=True)
    def list_command(center_id: int):
        """A center's outbox, waiting first."""
        for row in mail.center_outbox(get_db(), center_id):
            click.echo(
                f"{row['id']:>6} {row['status']:<8} {row['kind']:<20} {row['recipient']} "
                f"{row['created_at']} {row['last_error'] or ''}"
            )
