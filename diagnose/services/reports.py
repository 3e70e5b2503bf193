"""Reports after a diagnosis: the task queue starts rendering at once."""

from __future__ import annotations

import logging

from .. import jobs

log = logging.getLogger(__name__)


def after_diagnosis(assessment_id: int) -> None:
    """A diagnosis was stored or a consultant's decision recorded: the roadmap PDF is due.

    Called once from every place that does either (``services.submissions``,
    ``services.decisions``), after the transaction committed. Both languages are queued,
    Korean first, so the download is a cached file; a full queue never fails the caller.
    """
    log.info("assessment %s: report due", assessment_id)
    jobs.enqueue_report(assessment_id)
