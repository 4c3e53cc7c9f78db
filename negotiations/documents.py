"""The agreement summary's content, registered with the cases document pipeline."""

from cases.documents import DocumentNotAvailable, consent_form_context

from .selectors import agreement_summary


def agreement_summary_context(case) -> dict:
    ctx = consent_form_context(case)
    agreement = (
        getattr(ctx["case"], "agreement", None) if hasattr(ctx["case"], "agreement") else None
    )
    if agreement is None:
        raise DocumentNotAvailable("This case has no agreement yet.")
    ctx["agreement"] = agreement_summary(agreement)
    return ctx
