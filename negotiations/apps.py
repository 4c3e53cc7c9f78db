from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = "Negotiations"

    def ready(self) -> None:
        from cases import documents
        from cases.models import DocumentKind

        from .documents import agreement_summary_context

        documents.register(DocumentKind.AGREEMENT_SUMMARY, agreement_summary_context)
