"""K3i settings, all from the environment (healthchecks style).

SQLite under ``var/`` by default; PostgreSQL when ``K3I_DATABASE_URL`` is set.
Outside debug and demo mode the process refuses to start with a default or missing secret.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("K3I_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "ya", "on"}


DEBUG = env_bool("K3I_DEBUG")
# Demo mode: the built-in demo Polres with its demo accounts (printed by `k3i demo`).
DEMO_MODE = env_bool("K3I_DEMO")
# An installation made by `k3i demo` (a demo secret under var/, SQLite, no secret of its own) stays a demo
# installation, so that `k3i regions locate …` works after `make demo` without extra settings
# (never under pytest: `make test` after `make demo` must test the real, non-demo behaviour).
import sys  # noqa: E402

if (
    not DEMO_MODE
    and os.environ.get("K3I_DEMO", "") == ""
    and not os.environ.get("K3I_SECRET_KEY")
    and not os.environ.get("K3I_DATABASE_URL")
    and "pytest" not in sys.modules
    and (VAR_DIR / "demo-secret-key").exists()
):
    DEMO_MODE = True

TESTING = env_bool("K3I_TESTING") or "pytest" in sys.modules

DEFAULT_SECRET = "k3i-insecure-default-secret-ganti-saya"


def _secret_key() -> str:
    key = os.environ.get("K3I_SECRET_KEY", "")
    if key and key != DEFAULT_SECRET and len(key) >= 32:
        return key
    if DEBUG or TESTING:
        return key or DEFAULT_SECRET
    if DEMO_MODE:
        # A per-installation random secret kept outside the repository.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path = VAR_DIR / "demo-secret-key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
    if not key or key == DEFAULT_SECRET:
        raise ImproperlyConfigured(
            "K3I_SECRET_KEY belum diisi atau masih bawaan: mode produksi menolak berjalan. "
            "Isi K3I_SECRET_KEY dengan rahasia acak minimal 32 karakter "
            "(mis. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    raise ImproperlyConfigured("K3I_SECRET_KEY terlalu pendek: minimal 32 karakter.")


SECRET_KEY = _secret_key()
PRODUCTION = not (DEBUG or DEMO_MODE or TESTING)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("K3I_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("K3I_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "k3i.accounts.admin_apps.K3iAdminConfig",  # django.contrib.admin with the K3i site (role admin + 2FA)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "ninja",
    "k3i.core",
    "k3i.accounts",
    "k3i.organization",
    "k3i.incidents",
    "k3i.dispatch",
    "k3i.ops",
    "k3i.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "k3i.core.middleware.SecurityHeadersMiddleware",
    "k3i.core.api_errors.ApiErrorMiddleware",  # JSON errors for everything under /api/v1/
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "k3i.core.middleware.LanguageMiddleware",  # Bahasa Indonesia unless the user switched language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "k3i.urls"
WSGI_APPLICATION = "k3i.wsgi.application"
ASGI_APPLICATION = "k3i.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "k3i" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "k3i.core.context.k3i_context",
            ],
        },
    }
]

# A bearer token, once read, is trusted this many seconds without reading its row again in that process; a
# token revoked (or a user deactivated) elsewhere is refused at most this much later (k3i.accounts.auth).
API_TOKEN_CACHE_SECONDS = 0.0 if TESTING else float(os.environ.get("K3I_API_TOKEN_CACHE_SECONDS", "5"))

# Threads per web process that run the (sync) Django views under `k3i serve` (k3i/asgi.py).
K3I_WEB_THREADS = int(os.environ.get("K3I_WEB_THREADS", "16"))

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("K3I_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("K3I_TEST_DB_NAME", "test_k3i")
        # Requests run in a pool of threads (k3i/asgi.py) and each live stream reads in a thread of its own: a
        # connection pool per process (psycopg-pool) keeps PostgreSQL's connection count small and steady.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("K3I_DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("K3I_DB_POOL_MAX", "20")),
            "timeout": float(os.environ.get("K3I_DB_POOL_TIMEOUT", "10")),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("K3I_SQLITE_PATH", str(VAR_DIR / "k3i.sqlite3")),
            # WAL, a busy timeout and immediate transactions: web, simulator and ingester write at once.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["k3i.accounts.backends.K3iBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "ops:overview"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "k3i" / "locale"]
TIME_ZONE = "Asia/Jakarta"  # shown in WIB; stored in UTC
USE_I18N = True
USE_TZ = True

# --- Static files (no CDN: Leaflet, HTMX and Swagger UI come from installed packages) -------------
import xstatic.pkg.leaflet  # noqa: E402

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders; it warns without it
STATICFILES_DIRS = [BASE_DIR / "k3i" / "static", ("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # one shift
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("K3I_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("K3I_SSL_REDIRECT", True)

# Two-factor login (TOTP) for roles that dispatch or see personal data. On by default; the demo
# turns it off so that a newcomer can log in with the printed accounts.
REQUIRE_2FA = env_bool("K3I_REQUIRE_2FA", not (DEMO_MODE or DEBUG))
LOGIN_MAX_FAILURES = int(os.environ.get("K3I_LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("K3I_LOGIN_LOCKOUT_MINUTES", "15"))
OTP_TOTP_ISSUER = "K3i"
# Counters shared by all worker processes (k3i.core.counters: the /lapor/ limit per address, the lock-out of
# unknown usernames): in the database by default, in Redis when set (redis://127.0.0.1:6379/0). Under pytest they
# stay in the test database, rolled back after each test; the Redis tests take K3I_TEST_REDIS_URL instead.
K3I_REDIS_URL = "" if "pytest" in sys.modules else os.environ.get("K3I_REDIS_URL", "")

# --- K3i ----------------------------------------------------------------------------------------
K3I_POLRES = os.environ.get("K3I_POLRES", "")  # the Polres this installation serves (kode); "" = the only one
SSE_POLL_SECONDS = float(os.environ.get("K3I_SSE_POLL_SECONDS", "0.25"))
SSE_HEARTBEAT_SECONDS = float(os.environ.get("K3I_SSE_HEARTBEAT_SECONDS", "15"))
# Live streams woken by commits (k3i.core.notify): read every this many seconds when no wake-up came, at most once
# per SSE_MIN_READ_SECONDS however often woken, and by at most this many streams of a process at the same time.
SSE_FALLBACK_POLL_SECONDS = float(os.environ.get("K3I_SSE_FALLBACK_POLL_SECONDS", "1.5"))
SSE_MIN_READ_SECONDS = float(os.environ.get("K3I_SSE_MIN_READ_SECONDS", "0.1"))
SSE_CONCURRENT_READS = int(os.environ.get("K3I_SSE_CONCURRENT_READS", "4"))
# One shared read per process and wake-up for all its streams (k3i/ops/stream.py); each stream buffers at most
# this many events before it falls back to reading on its own.
SSE_SHARED_READER = env_bool("K3I_SSE_SHARED_READER", True)
SSE_STREAM_BUFFER = int(os.environ.get("K3I_SSE_STREAM_BUFFER", "1000"))
AUDIT_SEAL_INTERVAL_SECONDS = float(os.environ.get("K3I_AUDIT_SEAL_INTERVAL", "1.0"))
# Intake (k3i.incidents): shared secret of the WhatsApp/SMS gateway webhook ("" = webhook off, 503),
# duplicate window, and reports per IP and hour on the public form /lapor/.
K3I_INTAKE_WEBHOOK_SECRET = os.environ.get("K3I_INTAKE_WEBHOOK_SECRET", "")
if not K3I_INTAKE_WEBHOOK_SECRET and DEMO_MODE:
    # The demo's WhatsApp/SMS gateway works out of the box with a secret derived from the demo's own key
    # (printed by `k3i demo`); a real installation must set its own.
    import hashlib as _hashlib

    K3I_INTAKE_WEBHOOK_SECRET = _hashlib.sha256(f"webhook:{SECRET_KEY}".encode()).hexdigest()[:32]
K3I_DUPLICATE_RADIUS_M = float(os.environ.get("K3I_DUPLICATE_RADIUS_M", "500"))
K3I_DUPLICATE_MINUTES = float(os.environ.get("K3I_DUPLICATE_MINUTES", "30"))
K3I_PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("K3I_PUBLIC_REPORTS_PER_HOUR", "10"))
# Photos sent with a public report (k3i.incidents.photos): stored under K3I_MEDIA_ROOT (outside the web root,
# served to staff only), at most K3I_PHOTO_MAX_MB per photo and K3I_PHOTO_MAX_PIXELS pixels (decompression bombs).
# Under the tests: a temporary folder of their own (the hourly sweep of orphaned photos must never meet the files
# of a real or demo database).
K3I_MEDIA_ROOT = Path(os.environ.get("K3I_MEDIA_ROOT") or (
    tempfile.mkdtemp(prefix="k3i-test-media-") if TESTING else VAR_DIR / "media"))
if TESTING and not os.environ.get("K3I_MEDIA_ROOT"):
    import atexit
    import shutil

    atexit.register(shutil.rmtree, K3I_MEDIA_ROOT, ignore_errors=True)
K3I_PHOTO_MAX_BYTES = int(float(os.environ.get("K3I_PHOTO_MAX_MB", "8")) * 1024 * 1024)
K3I_PHOTO_MAX_PIXELS = int(os.environ.get("K3I_PHOTO_MAX_PIXELS", "50000000"))
# Service levels: seconds from report to the first unit sent, per priority (NFPA 1225: P1 within 60 s);
# arrival targets come from priorities.csv. Shifts (WIB) for the reports. Scheduled jobs every few seconds.
SLA_DISPATCH_TARGET_SECONDS = {
    1: int(os.environ.get("K3I_SLA_DISPATCH_P1", "60")),
    2: int(os.environ.get("K3I_SLA_DISPATCH_P2", "300")),
    3: int(os.environ.get("K3I_SLA_DISPATCH_P3", "1800")),
}
SLA_SHIFTS = os.environ.get("K3I_SLA_SHIFTS", "pagi=07-15,siang=15-23,malam=23-07")
JOBS_INTERVAL_SECONDS = float(os.environ.get("K3I_JOBS_INTERVAL", "5"))
# Dispatch: labels shown for the fixed unit states (JSON, e.g. {"tersedia": "Siaga"} for Indonesian only, or
# {"tersedia": {"id": "Siaga", "en": "On standby"}} per language; k3i.dispatch.staleness), the age after which a
# unit's last position is stale, and an optional OSRM server for road-network ETAs (else a distance estimate).
K3I_UNIT_STATUS_LABELS = os.environ.get("K3I_UNIT_STATUS_LABELS", "")
K3I_STALE_MINUTES = float(os.environ.get("K3I_STALE_MINUTES", "30"))
K3I_ROUTER_URL = os.environ.get("K3I_ROUTER_URL", "")
K3I_ROUTER_TIMEOUT = float(os.environ.get("K3I_ROUTER_TIMEOUT", "0.5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("K3I_LOG_LEVEL", "WARNING")},
}
