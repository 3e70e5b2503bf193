"""What the database holds about firms and their assessments, one module per thing.

- ``questionnaire_versions``: the copy of each questionnaire version, and the version an
  assessment was answered with.
- ``firms``: a center's firms (create, update, read) and the filter their lists share.
- ``assessments``: drafts, answers, submission and reading assessments back.
- ``self_assessed``: where a self-assessment goes, its result link, and linking a self-assessed
  firm to a registered one.
"""
