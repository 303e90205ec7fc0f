"""Production settings: the embedded settings hardened for HTTPS deployment.

Use with ``DJANGO_SETTINGS_MODULE=prossima.config.production``. ``SECRET_KEY``
must come from the environment here; a missing one is an error, not a default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from prossima.config.env import env_int
from prossima.config.settings import *  # noqa: F403 -- production extends the base settings

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production needs a long random SECRET_KEY in the "
        "environment (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix makes browsers refuse these cookies unless they are Secure,
# for this exact host and path /: a sibling subdomain cannot set or shadow them.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# A deployed site is online: OpenStreetMap's standard tiles under the map layers
# unless another tile server is configured (the embedded default shows none, so
# nothing reaches the internet from a laptop demo).
PROSSIMA["TILE_URL"] = os.environ.get(  # noqa: F405 -- PROSSIMA comes from the base settings
    "PROSSIMA_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
