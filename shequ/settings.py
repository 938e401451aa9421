"""Django settings for Shequ. Every setting that differs between machines comes
from an environment variable; secrets come from the generated local secrets file.

Environment:
  DATABASE_URL      default sqlite:///<data dir>/shequ.sqlite3
  SHEQU_DATA_DIR    default ./var (secrets, SQLite database, uploads)
  SHEQU_DEBUG       "1" for development
  SHEQU_ALLOWED_HOSTS  comma separated, default "*" (intranet deployments sit behind a proxy)
  REDIS_URL         when set, Channels uses Redis instead of the in-memory layer
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from shequ.secrets_file import load_or_create

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SHEQU_DATA_DIR", Path.cwd() / "var")).resolve()
_SECRETS = load_or_create(DATA_DIR)

SECRET_KEY = os.environ.get("SHEQU_SECRET_KEY") or _SECRETS["django_secret_key"]
SHEQU_PII_KEY = os.environ.get("SHEQU_PII_KEY") or _SECRETS["pii_key"]
SHEQU_INDEX_KEY = os.environ.get("SHEQU_INDEX_KEY") or _SECRETS["index_key"]
SHEQU_SIGNING_KEY = os.environ.get("SHEQU_SIGNING_KEY") or _SECRETS["platform_signing_key"]

DEBUG = os.environ.get("SHEQU_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SHEQU_ALLOWED_HOSTS", "*").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves Swagger UI for /api/v1/docs from its own static files, not a CDN
    "shequ.core",
    "shequ.accounts",
    "shequ.registry",
    "shequ.exchange",
    "shequ.cases",
    "shequ.meetings",
    "shequ.access",
    "shequ.open311",
    "shequ.analytics",
    "channels",
    "shequ.alarms",
    "shequ.intercom",
    "shequ.visitors",
    "shequ.notices",
    "shequ.mailbox",
    "shequ.terminals",
    "shequ.residents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shequ.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "shequ.urls"
WSGI_APPLICATION = "shequ.wsgi.application"
ASGI_APPLICATION = "shequ.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shequ.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'shequ.sqlite3'}"),
        conn_max_age=int(os.environ.get("SHEQU_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while an import writes; the timeout avoids
    # "database is locked" under the demo's light concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"].endswith("postgresql") and os.environ.get("SHEQU_DB_POOL", "0") != "0":
    # Under ASGI every request runs on a thread of its own, so per-thread persistent
    # connections are never reused: each request would open (and strand) one. A pool
    # (psycopg_pool) lends them instead. SHEQU_DB_POOL is the pool's maximum size.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": int(os.environ["SHEQU_DB_POOL"]), "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "registry:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SHEQU_SESSION_SECONDS", str(8 * 3600)))

# Login lockout: after this many failures in a row the account is locked for a while.
SHEQU_LOCKOUT_FAILURES = int(os.environ.get("SHEQU_LOCKOUT_FAILURES", "5"))
SHEQU_LOCKOUT_MINUTES = int(os.environ.get("SHEQU_LOCKOUT_MINUTES", "15"))
# Staff must use a TOTP second factor. The demo may turn it off for a quick look.
SHEQU_REQUIRE_2FA = os.environ.get("SHEQU_REQUIRE_2FA", "1") == "1"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root; finders serve the files
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the finders too, so `shequ web` works without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

NINJA_PAGINATION_PER_PAGE = 50

# Channels: the guard-room console's WebSockets. The in-memory layer reaches only
# consumers in the same process (the demo runs one web process); production sets
# REDIS_URL so the gateway process and every web worker share one layer.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # socket_timeout above channels_redis' 5 s blocking read (redis-py's default of 5 s would
    # break every idle console after 5 s); a pool large enough for hundreds of consoles joining at once
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10,
                                                        "max_connections": 2000}], "prefix": "shequ"}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Seconds between the console's look at the database for alarms and events written by
# another process. Needed only with the in-memory layer (a separate gateway process
# cannot reach its consumers); 0 turns it off.
SHEQU_CONSOLE_CATCHUP_SECONDS = float(os.environ.get("SHEQU_CONSOLE_CATCHUP_SECONDS", "0" if REDIS_URL else "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHEQU_LOG_LEVEL", "INFO")},
}
