"""Celery tasks of the cases app: they take ids only, load, and call a service."""

from celery import shared_task

from .services.documents import RENDER_TASK, document_render, documents_sweep
from .services.idempotency import idempotency_sweep


@shared_task(
    name=RENDER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def render_document(document_id: int) -> str:
    document = document_render(document_id=document_id)
    return document.status if document else "skipped"


@shared_task(name="cases.sweep_documents")
def sweep_documents() -> int:
    return documents_sweep()


@shared_task(name="cases.sweep_idempotent_requests")
def sweep_idempotent_requests() -> int:
    """Hourly: forget the Idempotency-Keys and form tokens older than IDEMPOTENCY_HOURS."""
    return idempotency_sweep()
