"""Request rate limits (Flask-Limiter), shared by the blueprints that need one.

By default counts live in process memory (``DIAGNOSE_RATELIMIT_STORAGE_URI=memory://``):
under several gunicorn workers each counts on its own, so a deployment that needs exact limits
points that setting at Redis or Memcached (with its client library installed).
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, headers_enabled=True)  # storage: the app's config
