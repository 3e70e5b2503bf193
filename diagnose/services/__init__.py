"""Use cases between the entry points (pages, API, CLI, jobs) and the stages.

Every rule about what may be stored, by whom and how often lives here once: a view, a
command or a job makes one call and gets the same checks as every other way in.
"""
