"""Static files in production: served by the app itself (WhiteNoise) from collectstatic's
output, so the pages have their stylesheet and htmx without a CDN or a separate server."""

from django.core.management import call_command
from django.test import Client


def test_production_serves_collected_static_files(db, settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False  # production: only what collectstatic gathered
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    browser = Client()  # a new handler: WhiteNoise reads STATIC_ROOT when it starts
    for path in ("/static/css/app.css", "/static/django_htmx/htmx-2.min.js", "/static/js/app.js"):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)
    assert browser.get("/static/css/missing.css").status_code == 404
