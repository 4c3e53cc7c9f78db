from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = "Negotiations"

    def ready(self) -> None:
        from cases.models import DocumentKind
        from cases.selectors import documents

        from . import tasks  # noqa: F401  (registered in every process; see CasesConfig.ready)
        from .selectors.agreements import agreement_summary_context

        documents.register(DocumentKind.AGREEMENT_SUMMARY, agreement_summary_context)

        from .selectors.counter_letter import counter_letter_check, counter_letter_context

        documents.register(
            DocumentKind.COUNTER_LETTER, counter_letter_context, counter_letter_check
        )

        from cases.selectors.audit import register_audited

        from .models import Agreement, Offer

        register_audited("offer", Offer, "case__practice_id", "case__client_id")
        register_audited("agreement", Agreement, "case__practice_id", "case__client_id")

        from cases import workspace

        from .selectors.fee_schedule import usual_rates_for
        from .views.offers import negotiation_panel

        workspace.register_rate_source(usual_rates_for)
        workspace.register_panel(negotiation_panel)

        from cases.renewal_terms import register_agreed_terms

        from .selectors.agreements import agreed_terms_for

        register_agreed_terms(agreed_terms_for)
