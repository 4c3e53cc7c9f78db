"""Scheduled work (Celery beat). Tasks take no arguments with patient data: they load and
call a service."""

from celery import shared_task

from .services.agreements import agreements_expire
from .services.reminders import reminders_run


@shared_task(name="negotiations.send_reminders")
def send_reminders() -> dict:
    return reminders_run()


@shared_task(name="negotiations.expire_agreements")
def expire_agreements() -> int:
    return agreements_expire()
