#!/usr/bin/env python
import os
import sys
from pathlib import Path

# Set on every deploy (SECRET_KEY is required there): any of them, or a .env file, means the
# settings decide, and DEBUG stays off unless set (sca_portal/settings.py). DATABASE_URL is not
# one: a developer points it at a local PostgreSQL.
DEPLOY_SETTINGS = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
# Commands that only write the project's own files, never run on a deploy: development mode
# unless DEBUG is set, whatever else the environment holds.
DEVELOPMENT_COMMANDS = ["makemigrations"]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sca_portal.settings")
    # A developer's machine with nothing configured: the embedded default in development
    # mode, so `python manage.py <command>` works as `make run` does. Only this entry point:
    # gunicorn (wsgi.py) and Celery never turn DEBUG on by themselves.
    configured = any(name in os.environ for name in DEPLOY_SETTINGS)
    unconfigured = not configured and not (Path(__file__).resolve().parent / ".env").exists()
    development_only = sys.argv[1:2] == DEVELOPMENT_COMMANDS and "DEBUG" not in os.environ
    if unconfigured or development_only:
        os.environ["DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
