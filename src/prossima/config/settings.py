"""Django settings for Prossima, read from the environment.

Every value has a safe default for the embedded set-up (`make run`: SQLite in
``var/``, jobs in-process, e-mail on the console). Production sets at least
``SECRET_KEY``, ``DATABASE_URL``, ``ALLOWED_HOSTS`` and uses
``prossima.config.production``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from prossima.config.env import embedded_secret_key, env_bool, env_int, env_list

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The working directory holds var/ (embedded database, secret key, uploads);
# PROSSIMA_HOME moves it elsewhere.
HOME_DIR = Path(os.environ.get("PROSSIMA_HOME", Path.cwd())).resolve()
VAR_DIR = HOME_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or embedded_secret_key(VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules",
    "ninja",
    "axes",
    "prossima.web",
    "prossima.accounts",
    "prossima.territory",
    "prossima.jobs",
    "prossima.incidents",
    "prossima.analytics",
    "prossima.policing",
    "prossima.interventions",
    "prossima.inclusion",
    "prossima.assets",
    "prossima.counterfeit",
    "prossima.practices",
    "prossima.dialogue",
    "prossima.reports",
    "prossima.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "prossima.web.middleware.ItalianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a login lock-out flagged by the backend into its page.
    "axes.middleware.AxesMiddleware",
    "prossima.web.middleware.SecurityHeadersMiddleware",
    # Last, so that its 503 for an unreachable database passes through the others.
    "prossima.web.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "prossima.config.urls"
WSGI_APPLICATION = "prossima.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prossima.web.context_processors.platform",
            ],
        },
    },
]

_DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'prossima.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        # Opening a PostgreSQL connection costs more than a public page's queries
        # (measured: 12-16 ms per page without reuse, 7 ms with); SQLite opens a file.
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE", 0 if _DATABASE_URL.startswith("sqlite") else 60
        ),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; a busy timeout makes a
    # concurrent writer wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Tests use a file, not the shared in-memory database: live-server and worker
    # threads then wait on SQLite's ordinary locks instead of failing with
    # "database table is locked" (shared-cache table locks ignore the timeout).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "prossima.accounts.backends.LoginThrottleBackend",
    "rules.permissions.ObjectPermissionBackend",
    "prossima.accounts.backends.UsernameOrEmailBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 2.1.1: at least 12 characters (a phrase is easier to remember).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Hashed, compressed static files for serving; `prossima serve` turns this on and
# runs collectstatic. Off by default so tests and the dev server need no build step.
STATIC_MANIFEST = env_bool("PROSSIMA_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the app folders when collectstatic has not run (tests, DEBUG).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    # A folder, not process memory: the web workers and the job worker must share
    # counters (report rate limits) and see a withdrawn public layer disappear at once.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Background jobs (Celery). Production: Redis, so several worker machines share the
# queue. Embedded: a folder in var/ is the queue, so `make run` needs no broker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR = VAR_DIR / "broker"
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# Job state lives in the database (jobs.Job), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
# Daily checks (asset alerts, call deadlines) and alert digests each morning, local time;
# meeting reminders every hour (a day ahead); indicators recomputed each night. The
# scheduler runs inside one worker: `prossima serve` starts it, and in production exactly
# one `prossima worker --beat` must run.
CELERY_TIMEZONE = "Europe/Rome"
CELERY_BEAT_SCHEDULE = {
    "asset-daily-checks": {
        "task": "prossima.assets.daily_checks",
        "schedule": crontab(hour=6, minute=0),
    },
    "reports-indicators": {
        "task": "prossima.reports.compute_indicators",
        "schedule": crontab(hour=3, minute=30),
    },
    "dialogue-meeting-reminders": {
        "task": "prossima.dialogue.send_meeting_reminders",
        "schedule": crontab(minute=15),
    },
    "counterfeit-alert-digests": {
        "task": "prossima.counterfeit.send_alert_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # Personal data past its retention period is deleted or anonymised each night.
    "privacy-purge-expired": {
        "task": "prossima.privacy.purge_expired",
        "schedule": crontab(hour=2, minute=45),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Acknowledge on receipt: a killed worker's job is marked failed and retried by a
# person, never silently run twice.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "prossima@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

SESSION_COOKIE_HTTPONLY = True
# A working day: staff who handle police data sign in again each day (ASVS 3.3.2;
# NIST SP 800-63B allows 12 hours at AAL2), not every two weeks as Django's default.
SESSION_COOKIE_AGE = env_int("PROSSIMA_SESSION_HOURS", 12) * 3600
# A reset link works for an hour, not Django's three days: it is a password by e-mail.
PASSWORD_RESET_TIMEOUT = 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Platform settings
PROSSIMA: dict[str, Any] = {
    # Tile URL for base maps; empty means boundaries and layers only (no network).
    "TILE_URL": os.environ.get("PROSSIMA_TILE_URL", ""),
    "TILE_ATTRIBUTION": os.environ.get(
        "PROSSIMA_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"
    ),
    # Minimum count for a published aggregate cell (disclosure control).
    "PUBLIC_MIN_COUNT": env_int("PROSSIMA_PUBLIC_MIN_COUNT", 5),
    "API_TOKEN_DAYS": env_int("PROSSIMA_API_TOKEN_DAYS", 365),
    # Largest incident file accepted by the upload page (the command line has no limit).
    "INCIDENT_UPLOAD_MAX_MB": env_int("PROSSIMA_INCIDENT_UPLOAD_MAX_MB", 200),
    # ... and the most it may expand to when gzip-compressed: police CSVs compress about
    # ten times, a decompression bomb a thousand; the import reads the whole file.
    "INCIDENT_UPLOAD_MAX_EXPANDED_MB": env_int("PROSSIMA_INCIDENT_UPLOAD_MAX_EXPANDED_MB", 2000),
    # Largest indicator CSV (one row per sub-area: a few hundred rows, some KB).
    "INDICATOR_UPLOAD_MAX_MB": env_int("PROSSIMA_INDICATOR_UPLOAD_MAX_MB", 5),
    # A running job silent for this long is taken as killed and marked failed.
    "JOB_STALE_SECONDS": env_int("PROSSIMA_JOB_STALE_SECONDS", 600),
    # Citizen reports: largest photo accepted, longest side kept, and how many
    # reports one client may submit per window (anonymous per IP, people per account).
    "REPORT_PHOTO_MAX_MB": env_int("PROSSIMA_REPORT_PHOTO_MAX_MB", 8),
    "REPORT_PHOTO_MAX_PX": env_int("PROSSIMA_REPORT_PHOTO_MAX_PX", 2000),
    "REPORT_RATE_ANONYMOUS": env_int("PROSSIMA_REPORT_RATE_ANONYMOUS", 5),
    "REPORT_RATE_USER": env_int("PROSSIMA_REPORT_RATE_USER", 20),
    "REPORT_RATE_WINDOW_SECONDS": env_int("PROSSIMA_REPORT_RATE_WINDOW_SECONDS", 3600),
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none),
    # so the rate limit counts clients, not the proxy.
    "TRUSTED_PROXY_HOPS": env_int("PROSSIMA_TRUSTED_PROXY_HOPS", 0),
    # Logins: after this many failures in a row for one name from one address, that
    # name is refused from that address for the cool-off (even with the right
    # password). Five leaves room for typos; guessing at 5 tries per 15 minutes
    # takes years against any password the validators accept.
    "LOGIN_FAILURE_LIMIT": env_int("PROSSIMA_LOGIN_FAILURE_LIMIT", 5),
    "LOGIN_COOLOFF_MINUTES": env_int("PROSSIMA_LOGIN_COOLOFF_MINUTES", 15),
    # Login attempts per address, whatever the name (password spraying). Generous,
    # since a police command or a school logs in from behind one address.
    "LOGIN_RATE": os.environ.get("PROSSIMA_LOGIN_RATE", "100/10m"),
    # API calls per client (rate "<count>/<unit>", unit s, m, h or d). A map page
    # fetches a handful of layers and a script paging through a list a few calls a
    # second; 600 a minute per address and 1800 per account or token stop scrapers
    # and floods, never a person or a reasonable integration.
    "API_RATE_ANONYMOUS": os.environ.get("PROSSIMA_API_RATE_ANONYMOUS", "600/m"),
    "API_RATE_USER": os.environ.get("PROSSIMA_API_RATE_USER", "1800/m"),
    # Public forms (same format). Sign-ups send an e-mail each: a household or an
    # office signs up a few people an hour, a bot hundreds. Other forms open to
    # anyone (report follow-ups, subscriptions) are counted per address, and those
    # of citizens with an account (supports, comments, flags, proposals, meeting
    # and course sign-ups) per account: two a minute for an hour is more than a
    # person reading and writing does, and stops a script posting spam.
    "SIGNUP_RATE": os.environ.get("PROSSIMA_SIGNUP_RATE", "5/h"),
    "FORM_RATE_ANONYMOUS": os.environ.get("PROSSIMA_FORM_RATE_ANONYMOUS", "30/h"),
    "FORM_RATE_USER": os.environ.get("PROSSIMA_FORM_RATE_USER", "120/h"),
    # Confiscated assets: an asset handed over without concession or use for this
    # many months is idle (the national agency's monitoring uses one year); a
    # concession ending within this many days is flagged so that the comune has a
    # quarter to renew it or call for proposals; a yearly reuse report is overdue
    # this many days after the year it covers.
    "ASSET_IDLE_MONTHS": env_int("PROSSIMA_ASSET_IDLE_MONTHS", 12),
    # Where the platform is reached, for links in e-mails sent by the scheduler
    # (no request to take the address from).
    "SITE_URL": os.environ.get("PROSSIMA_SITE_URL", "http://127.0.0.1:8000").rstrip("/"),
    "ASSET_EXPIRY_NOTICE_DAYS": env_int("PROSSIMA_ASSET_EXPIRY_NOTICE_DAYS", 90),
    "ASSET_REPORT_GRACE_DAYS": env_int("PROSSIMA_ASSET_REPORT_GRACE_DAYS", 60),
    # Who publishes the open-data catalogue (DCAT-AP_IT): its name and IPA code.
    "CATALOGUE_PUBLISHER": os.environ.get("PROSSIMA_CATALOGUE_PUBLISHER", "Prossima"),
    "CATALOGUE_PUBLISHER_IPA": os.environ.get("PROSSIMA_CATALOGUE_PUBLISHER_IPA", ""),
    # Retention periods overriding the defaults of prossima.privacy.retention, as
    # "kind=days,kind=days" (e.g. "read_notifications=30,expired_sessions=1").
    "RETENTION_DAYS": os.environ.get("PROSSIMA_RETENTION_DAYS", ""),
}

# Login throttling (django-axes): failed attempts are rows of axes' AccessAttempt
# table, counted per name and address together, so an attacker cannot lock a
# person out from everywhere; trying many names from one address is bounded by
# LOGIN_RATE instead.
AXES_FAILURE_LIMIT = PROSSIMA["LOGIN_FAILURE_LIMIT"]
AXES_COOLOFF_TIME = timedelta(minutes=PROSSIMA["LOGIN_COOLOFF_MINUTES"])
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "prossima.web.ratelimit.client_ip"
AXES_USERNAME_CALLABLE = "prossima.accounts.backends.lockout_username"
AXES_LOCKOUT_CALLABLE = "prossima.accounts.views.locked_out"
# Successful logins are in the platform's audit log already; no second log of
# every login with address and browser.
AXES_DISABLE_ACCESS_LOG = True
# Ninja's own address lookup (unused by our throttle) agrees with ours.
NINJA_NUM_PROXIES = PROSSIMA["TRUSTED_PROXY_HOPS"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
