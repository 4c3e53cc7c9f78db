"""Scheduled work (Celery beat). Tasks take no arguments with patient data: they load and
call a service."""

from celery import shared_task

from . import services


@shared_task(name="negotiations.send_reminders")
def send_reminders() -> dict:
    return services.reminders_run()


@shared_task(name="negotiations.expire_agreements")
def expire_agreements() -> int:
    return services.agreements_expire()
