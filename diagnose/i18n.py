"""Message catalogues: ``translations/<lang>/LC_MESSAGES/messages.po`` is the source.

The compiled ``.mo`` files are build output, not committed: installing compiles them
(``scripts/setup.sh`` runs ``python -m diagnose.i18n``), and the app only checks at start
that they are there and not older than their ``.po``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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
