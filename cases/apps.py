from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "SCA cases"

    def ready(self) -> None:
        # The web process queues tasks by their registered name (services never import tasks);
        # Celery's autodiscovery runs only in a worker, so the tasks register here, in every
        # process that loads the app.
        from . import tasks  # noqa: F401
