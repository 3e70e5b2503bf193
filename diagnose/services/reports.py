"""Reports after a diagnosis: the seam where the task queue starts rendering."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def after_diagnosis(assessment_id: int) -> None:
    """A diagnosis was stored or a consultant's decision recorded: the roadmap PDF is due.

    Called once from every place that does either (``services.submissions``,
    ``services.decisions``), after the transaction committed. The report-rendering queue
    (another branch) hooks in here; until then the PDF is made when first asked for.
    """
    log.info("assessment %s: report due", assessment_id)
