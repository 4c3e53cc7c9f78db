"""A web process queues the render task by name: the task must be registered there, not only in a
worker (where Celery's autodiscovery runs). Checked in a fresh interpreter, so that no test that
imported the tasks module earlier can make it pass."""

import os
import subprocess
import sys

SCRIPT = """
import django
django.setup()
import sca_portal.urls  # what a web process loads
from sca_portal.celery import app
print(",".join(sorted(name for name in app.tasks if not name.startswith("celery."))))
"""


def test_web_process_registers_every_task_it_queues():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sca_portal.settings"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    registered = set(out.splitlines()[-1].split(","))
    assert {
        "cases.render_document",
        "cases.sweep_documents",
        "cases.sweep_idempotent_requests",
        "negotiations.send_task_digests",
        "negotiations.send_reminders",
        "negotiations.expire_agreements",
        "negotiations.send_outbox",  # send_reminders queues its retry
    } <= registered
