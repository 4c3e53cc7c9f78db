"""DRF's settings name core.api's renderer and pagination. A process whose first DRF import is
those settings (a Celery worker is one) must load them: no import loop through core.api."""

import os
import subprocess
import sys

SCRIPT = """
import django
django.setup()
from rest_framework.settings import api_settings
renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]
print(renderer.__name__, api_settings.DEFAULT_PAGINATION_CLASS.__name__)
"""


def test_api_settings_load_in_a_fresh_process():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sca_portal.settings"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["JSONRenderer", "Pagination"]
