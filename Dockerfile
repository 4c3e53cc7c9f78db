# SCA Portal: one image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# WeasyPrint's libraries and a font for the PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY sca_portal sca_portal
COPY billing_codes billing_codes
COPY cases cases
COPY negotiations negotiations
RUN pip install .
COPY manage.py ./
COPY templates templates
COPY static static

RUN useradd --create-home --uid 10001 app && mkdir -p /app/var /data/private /data/static \
 && chown -R app /app/var /data
USER app

# collectstatic needs a key and a host only to load settings; nothing is stored with them.
RUN SECRET_KEY=build-only-build-only-build-only-build-only ALLOWED_HOSTS=build \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 STATIC_ROOT=/data/static \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "sca_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-", "--access-logformat", "%(h)s \"%(m)s %(U)s\" %(s)s %(b)s %(D)sus"]
