"""Request rate limits (Flask-Limiter), shared by the blueprints that need one.

Counts live in process memory: under several gunicorn workers each counts on its own, so a
deployment that needs exact limits points ``RATELIMIT_STORAGE_URI`` at Redis or Memcached.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, storage_uri="memory://", headers_enabled=True)
