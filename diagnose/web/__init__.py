"""One blueprint per audience; views stay thin and call the services."""

from __future__ import annotations


def pdf_download(record: dict, lang: str):
    """The roadmap PDF of a submitted assessment, named with its day in Korea.

    The record goes on with its submission time written in Korea time: the same moment (the
    report reads it as such), but the file name's date is then Korea's, not UTC's.
    """
    from datetime import datetime

    from ..templating import KST
    from .reports import pdf_response

    submitted = datetime.fromisoformat(record["submitted_at"]).astimezone(KST)
    return pdf_response(dict(record, submitted_at=submitted.isoformat()), lang)
