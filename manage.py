#!/usr/bin/env python
import os
import sys
from pathlib import Path

# Set on every deploy (SECRET_KEY is required there): any of them, or a .env file, means the
# settings decide, and DEBUG stays off unless set (sca_portal/settings.py).
DEPLOY_SETTINGS = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sca_portal.settings")
    # A developer's machine with nothing configured: the embedded default in development
    # mode, so `python manage.py <command>` works as `make run` does. Only this entry point:
    # gunicorn (wsgi.py) and Celery never turn DEBUG on by themselves.
    configured = any(name in os.environ for name in DEPLOY_SETTINGS)
    if not configured and not (Path(__file__).resolve().parent / ".env").exists():
        os.environ["DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
