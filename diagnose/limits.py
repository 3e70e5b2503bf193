"""Request rate limits (Flask-Limiter), shared by the blueprints that need one.

Logins are limited per client address (``DIAGNOSE_LOGIN_RATE_LIMIT``) and per account
(``DIAGNOSE_LOGIN_ACCOUNT_RATE_LIMIT``), failures only; anonymous self-assessments per
address. The address is the connection's unless ``DIAGNOSE_PROXY_HOPS`` says how many proxies
in front to believe: without that, behind a proxy every client has the proxy's address.

By default counts live in process memory (``DIAGNOSE_RATELIMIT_STORAGE_URI=memory://``):
under several gunicorn workers each counts on its own (a limit is then up to N times looser),
so a deployment with more than one worker points that setting at shared storage such as
``redis://localhost:6379`` (with the ``redis`` package installed); production warns at start
when it does not.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, headers_enabled=True)  # storage: the app's config
