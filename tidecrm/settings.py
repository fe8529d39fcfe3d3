"""Settings for Tide CRM: environment variables only (see README "Configuration").

With nothing set, everything runs embedded under ``var/``: SQLite (WAL) for data, SQLite
for the Huey job queue, ``var/media`` for files.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret_key():
    """Return SECRET_KEY from the environment, or one generated once and kept under var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Reverse proxies (addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto are believed
# (core.security): the client's IP is the right-most forwarded address that is not one of them.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start-up, not per request

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",
    "tidecrm.core",
    "tidecrm.accounts",
    "tidecrm.org",
    "tidecrm.rules",
    "tidecrm.leads",
    "tidecrm.customers",
    "tidecrm.sales",
    "tidecrm.office",
    "tidecrm.integrations",
    "tidecrm.shell",
    "tidecrm.demo",
]

MIDDLEWARE = [
    "tidecrm.core.security.TrustedProxyMiddleware",  # first: drops X-Forwarded-* from non-proxies
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tidecrm.core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "tidecrm.signin.middleware.AuthenticationMiddleware",
    "tidecrm.core.web.BusinessErrorMiddleware",
    "tidecrm.core.security.PathIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tidecrm.urls"
WSGI_APPLICATION = "tidecrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tidecrm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "tidecrm.shell.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'tidecrm.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The planner's page costs for data that sits in memory or on SSD (PostgreSQL's defaults
    # assume spinning disks): with random_page_cost 4 it walks a whole list index to skip 400
    # matches of a rare search rather than read those 400 rows (bench/customer_list.py,
    # search_pair). PG_RANDOM_PAGE_COST overrides it; an empty value keeps the server's setting.
    page_cost = os.environ.get("PG_RANDOM_PAGE_COST", "1.1")
    if page_cost:
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c random_page_cost={float(page_cost)}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords: argon2 first (SPEC: argon2), the others only to read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# HTTPS=1 (README): the site is served over HTTPS only. SECURE_COOKIES=1 is its older name.
HTTPS = env_bool("HTTPS", env_bool("SECURE_COOKIES", False))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Behind a trusted proxy that terminates TLS, X-Forwarded-Proto says whether the client used
# HTTPS; core.security.TrustedProxyMiddleware removes it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages (core.security.SecurityHeadersMiddleware). Scripts and styles come only from /static;
# 'unsafe-eval' is Alpine.js (the standard build compiles x-* expressions with Function) and
# htmx, 'unsafe-inline' the templates' onclick= handlers, one inline <script> and style=
# attributes. Empty turns the header off.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "tidecrm" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request until collectstatic made it
STATICFILES_DIRS = [BASE_DIR / "tidecrm" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Background jobs: Huey on SQLite under var/, on Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "tidecrm",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "tidecrm",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# Providers (integrations): sandbox by default, so nothing leaves the machine.
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "sandbox")
# SaaS deployments turn this on: registration then needs an SMS code (TEN-02).
REGISTRATION_REQUIRES_CODE = env_bool("REGISTRATION_REQUIRES_CODE", False)
# Show the sandbox SMS outbox on the login page (only ever with DEBUG and the sandbox provider).
SHOW_SMS_OUTBOX = DEBUG and SMS_PROVIDER == "sandbox"

# Login throttling (TEN-05): 5 failures lock the account and the IP for 15 minutes.
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCK_MINUTES = 15
# Sudo mode for enterprise settings (SPEC Decisions, Q-21).
SUDO_MINUTES = 30
# API tokens (issue 11): every token expires; a new password revokes them all.
API_LOGIN_TOKEN_DAYS = 30  # tokens that /auth/token and /auth/token/sms issue
API_TOKEN_DAYS = 90  # personal tokens created without an expires_at
API_TOKEN_MAX_DAYS = 366  # the furthest expires_at a personal token may have

# Every line names the tenant and the acting employee (ids, "-" when none: core.logs). The
# boundary loggers tidecrm.jobs / .imports / .providers / .login write at INFO (TIDECRM_LOG_LEVEL);
# everything else, Django's included, from LOG_LEVEL up.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "tidecrm.core.logs.ContextFilter"}},
    "formatters": {
        "console": {
            "format": "%(asctime)s %(levelname)s %(name)s tenant=%(tenant)s employee=%(employee)s %(message)s"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "console"}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"tidecrm": {"level": os.environ.get("TIDECRM_LOG_LEVEL", "INFO")}},
}
