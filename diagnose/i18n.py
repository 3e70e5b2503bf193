"""Message catalogues: ``translations/<lang>/LC_MESSAGES/messages.po`` is the source.

The compiled ``.mo`` files are build output, not committed: installing compiles them
(``scripts/setup.sh`` runs ``python -m diagnose.i18n``), and the app only checks at start
that they are there and not older than their ``.po``.
Korean particles after a filled-in name or number are resolved in every translated
message (``korean.resolve``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import Domain
from jinja2 import pass_context
from markupsafe import Markup

from . import korean

TRANSLATIONS = Path(__file__).parent / "translations"
COMPILE_COMMAND = "python -m diagnose.i18n"
log = logging.getLogger(__name__)


class CatalogueMissing(RuntimeError):
    """A ``.po`` file has no compiled ``.mo``: the app would show English to Korean users."""


def compile_catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile every stale ``.po`` under ``folder``; return the ``.mo`` files written."""
    written = []
    for po_path in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def _resolving(function: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja gettext global whose filled-in text has its Korean particles resolved."""

    @pass_context
    def translate(context: Any, *args: Any, **variables: Any) -> Any:
        text = function(context, *args, **variables)
        resolved = korean.resolve(text)
        return Markup(resolved) if isinstance(text, Markup) else resolved

    return translate


def resolve_particles_in(env: jinja2.Environment) -> None:
    """Make a Jinja environment's ``_``/``gettext``/``ngettext`` (installed newstyle) pick
    Korean particles by the word before them, after the sentence is filled in."""
    for name in ("_", "gettext", "ngettext", "pgettext", "npgettext"):
        if name in env.globals:
            env.globals[name] = _resolving(env.globals[name])


class ParticleDomain(Domain):
    """Flask-Babel's domain, with Korean particles resolved in every filled-in message
    (``korean.resolve``): ``gettext("The track was %(track)s then.", track=...)``."""

    def gettext(self, string: str, **variables: Any) -> str:
        return korean.resolve(super().gettext(string, **variables))

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        return korean.resolve(super().ngettext(singular, plural, num, **variables))


def resolve_particles(app: Any, babel: Any) -> None:
    """After ``babel.init_app(app)``: resolve particles in Python and in the app's templates."""
    babel.domain_instance = ParticleDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    resolve_particles_in(app.jinja_env)


def check_compiled(folder: Path = TRANSLATIONS) -> None:
    """Refuse to start without a compiled catalogue; warn when one is older than its source."""
    for po_path in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            raise CatalogueMissing(
                f"{mo_path} is missing: the translations are compiled at install. "
                f"Run `{COMPILE_COMMAND}` (scripts/setup.sh does it)."
            )
        if mo_path.stat().st_mtime < po_path.stat().st_mtime:
            log.warning(
                "%s is older than its .po: run `%s` to see the latest translations",
                mo_path,
                COMPILE_COMMAND,
            )


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else TRANSLATIONS
    for path in compile_catalogues(folder):
        print(f"compiled {path}")
