"""SCA Portal settings: one module, every deploy knob from the environment.

With no database or broker configured the app runs on its embedded default: SQLite under
``var/``, Celery tasks executed in-process. Setting ``DATABASE_URL`` (and
``CELERY_BROKER_URL``) moves it to PostgreSQL (and a Redis broker). DEBUG is off unless set,
whatever the database: production mode is the default, and development asks for DEBUG=true
(``make run`` does).
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from core.storage import private_storage_setting

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# Off unless set: a server started without its environment (a missing .env, a copied
# command line) must not come up with debug pages, the development key and HTTP cookies.
DEBUG = env.bool("DEBUG", default=False)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)

if not DEBUG:
    # Production mode refuses to start on settings that would be unsafe there.
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_htmx",
    "billing_codes",
    "cases",
    "negotiations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every /api/ answer, errors included, says Cache-Control: no-store.
    "sca_portal.middleware.ApiNoStoreMiddleware",
    # A database that is locked or unreachable: 503 with Retry-After, never a 500.
    "sca_portal.middleware.DatabaseBusyMiddleware",
    "core.storage.StorageUnavailableMiddleware",  # object storage unreachable: 503 as well
    # The app serves its own static files (stylesheet, htmx, Swagger UI): no CDN, no second
    # server. In production from collectstatic's output (see Dockerfile).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sca_portal.middleware.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads its token from the body: a refused upload is answered with its
    # message; an API body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused unread.
    "core.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed its second factor.
    "django_otp.middleware.OTPMiddleware",
    # Writes the request's reads of patient data before its answer leaves (503 if it cannot).
    "sca_portal.middleware.AccessLogMiddleware",
    # Holds a signed-in session at the second-factor page until it has passed (sca_portal.mfa).
    "sca_portal.two_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sca_portal.once.OnceTokenMiddleware",  # a repeated form post gets the first one's redirect
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into a clear refusal.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out users and addresses
    "django.contrib.auth.backends.ModelBackend",
]
# How many reverse proxies stand in front of the app and append to X-Forwarded-For: 0 when
# gunicorn is reached directly (its socket address is then the client's), 1 behind compose's
# proxy. The client's address is read that many hops from the right, never from the left.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# Lockout after 5 failed logins per user and address, 15-minute cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client's address as the rest of the app reads it (through PROXY_COUNT proxies): without
# django-ipware axes would count every client behind the proxy as the proxy.
AXES_CLIENT_IP_CALLABLE = "core.access.client_ip"
AXES_VERBOSE = False
# The sign-in form's rate limits (sca_portal.login), in front of axes' lockout: POSTs per client
# address, and per username whatever the address (DRF's notation: "20/min").
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="20/min")
LOGIN_RATE_PER_USER = env.str("LOGIN_RATE_PER_USER", default="10/min")

ROOT_URLCONF = "sca_portal.urls"
WSGI_APPLICATION = "sca_portal.wsgi.application"

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
                "sca_portal.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL weighs every order of a query's joins; for the ORM's five- to eight-table
    # selects that planning took 2-4 ms, ten times their run (the case workspace: 3.5 ms to
    # plan, 0.3 ms to run). Joins past the fourth keep the ORM's order, which starts from the
    # filtered table. Measured in docs/PERFORMANCE.md. PG_JOIN_COLLAPSE_LIMIT=8 restores
    # PostgreSQL's default.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        filter(None, [_options.get("options"),
                      f"-c join_collapse_limit={env.int('PG_JOIN_COLLAPSE_LIMIT', default=4)}"])
    )  # fmt: skip
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers at once (threads, gunicorn workers): write-ahead logging lets reads go on
    # during a write; BEGIN IMMEDIATE takes the write lock when a transaction starts, so two
    # read-then-write transactions queue (for up to `timeout` seconds) instead of the second
    # failing at once with "database is locked". What still times out answers 503 (core.api,
    # sca_portal.middleware.DatabaseBusyMiddleware). Django runs init_command's statements
    # one by one on each new connection.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 9},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# WhiteNoise serves from here (collectstatic fills it); an empty one is fine in development,
# where the files come from the finders.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# Uploaded scans and generated documents hold patient data: in a private directory no URL maps
# to (or a bucket: PRIVATE_STORAGE_URL, core.storage); views stream them after a tenant check.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": private_storage_setting(env("PRIVATE_STORAGE_URL", default=""), PRIVATE_MEDIA_ROOT),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# A request's fields other than files (and a JSON body, core.uploads.UploadLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)  # 2.5 MB
# First, the limit: a file over UPLOAD_MAX_BYTES stops the parser before more of it is spooled.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Per-process memory by default; with several web processes use Redis, e.g.
# CACHE_URL=redis://127.0.0.1:6379/1 (throttling counters, report caching and sessions).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
REPORT_CACHE_SECONDS = env.int("REPORT_CACHE_SECONDS", default=60)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)

# Sessions and cookies. Sessions live in the database; with a shared cache (Redis) they are
# read through it, which saves every page its session query. Never through a per-process
# cache: a session signed out in one process would live on in the others. End sessions through
# the session store (logout, SessionStore.delete), never by deleting Session rows directly:
# the cached copy would outlive the row until it expires.
SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if SHARED_CACHE else "db")
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# Sliding idle timeout: SlidingSessionMiddleware moves the expiry forward at most once a
# minute, instead of a write on every request (SESSION_SAVE_EVERY_REQUEST).
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
# Production mode (DEBUG off) is HTTPS-only by default; each knob can be turned off.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe speaks plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# X-Forwarded-Proto is believed only from a proxy (PROXY_COUNT > 0), which sets it; reached
# directly, a client could send it to pass as HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PROXY_COUNT > 0 else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Celery: with no broker configured, tasks run in-process (embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest render (seconds) and the largest retry delay (300 s): a message is
# only redelivered when its worker is really gone. The sweeper covers the hour in between.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Publishing never blocks a web request for long when the broker is down: the document
# stays queued and the sweeper sends it again.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
DOCUMENT_STUCK_SECONDS = env.int("DOCUMENT_STUCK_SECONDS", default=300)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Expire first, so that an agreement that ended yesterday gets no "ending soon" notice.
    "expire-agreements": {"task": "negotiations.expire_agreements", "schedule": crontab(30, 5)},
    "send-reminders": {"task": "negotiations.send_reminders", "schedule": crontab(0, 6)},
    # Each member's open tasks, after the reminders have run (case numbers only).
    "send-task-digests": {"task": "negotiations.send_task_digests", "schedule": crontab(0, 7)},
    "sweep-documents": {"task": "cases.sweep_documents", "schedule": 60.0},
    "send-outbox": {"task": "negotiations.send_outbox", "schedule": 300.0},
    "sweep-idempotent-requests": {"task": "cases.sweep_idempotent_requests", "schedule": 3600.0},
}
# How long an Idempotency-Key or a form's one-time token replays its first answer (swept hourly).
IDEMPOTENCY_HOURS = env.int("IDEMPOTENCY_HOURS", default=24)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.JSONRenderer",  # decimals as strings, never floats
        # The browsable API only in development: its forms list related records (every
        # client's name in a case's form), a read no access-log entry would cover.
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": env.str("TOKEN_THROTTLE_RATE", default="10/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles count the client's address as the proxies in front of the app report it: with
    # no proxy (0) the socket's address, so a forged X-Forwarded-For changes nothing.
    "NUM_PROXIES": PROXY_COUNT,
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires after
# TOKEN_TTL_HOURS and is revoked by logout, logout-all or the user's security page.
TOKEN_TTL_HOURS = env.int("TOKEN_TTL_HOURS", default=10)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# billing_codes sits below cases; this wires in the cases rule for who edits reference data.
REFERENCE_DATA_PERMISSION_CLASS = "cases.permissions.ReferenceDataPermission"

SPECTACULAR_SETTINGS = {
    "TITLE": "SCA Portal API",
    "DESCRIPTION": "Single Case Agreements: prepare, file, negotiate and track.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.CaseStatus",
        "OfferStatusEnum": "negotiations.models.OfferStatus",
        "SubmissionChannelEnum": "cases.models.SubmissionChannel",
        "DocumentKindEnum": "cases.models.DocumentKind",
        "PolicyKindEnum": "cases.models.PolicyKind",
        "LineOfBusinessEnum": "cases.models.LineOfBusiness",
        "ContactPurposeEnum": "cases.models.ContactPurpose",
        "DenialCategoryEnum": "cases.models.DenialCategory",
        "AppealOutcomeEnum": "cases.models.AppealOutcome",
        "AppealDecisionEnum": "cases.serializers.appeals.DECIDE_CHOICES",
        "PeerToPeerOutcomeEnum": "negotiations.models.PeerToPeerOutcome",
    },
}

# Second factor (django-otp): the roles that must pass TOTP at sign-in and when a token is
# issued. Every role and the site's operators ("operator") in production; none in development,
# so the demo logins stay one step.
MFA_ROLES_ALL = ["admin", "billing", "staff", "operator"]
MFA_REQUIRED_ROLES = [
    role
    for role in env.list("MFA_REQUIRED_ROLES", default=[] if DEBUG else MFA_ROLES_ALL)
    if role  # MFA_REQUIRED_ROLES="" is the empty list
]
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="SCA Portal")

LOGIN_URL = "login"
# Flash messages can carry case details: keep them server-side, not in a (signed, readable) cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# bench/: a bare DRF view, same middleware and authentication, constant payload (off by default).
BENCHMARK_ENDPOINTS = env.bool("SCA_BENCH", default=False)

# Logs carry ids, never patient data: nothing here logs request bodies or query strings.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # The PDF stack is chatty (glyph lists at INFO); keep its errors only.
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
    },
}
