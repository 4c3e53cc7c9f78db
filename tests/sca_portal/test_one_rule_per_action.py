"""One rule per action: the browser's form and the API's serializer for the same action refuse
the same input. A bound (required, length, range, digits) lives once, on the model field or in
the service, and both doors inherit it; these tests fail when one door drifts from the other."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from django.core import validators as dj

# (form, serializer) for one action each; fields are compared where both have them.
PAIRS = [
    ("cases.forms.people.ClientForm", "cases.serializers.people.ClientSerializer"),
    ("cases.forms.people.ProviderForm", "cases.serializers.people.ProviderSerializer"),
    ("cases.forms.case.CaseDetailsForm", "cases.serializers.case.CaseWriteSerializer"),
    ("cases.forms.case.TrackingForm", "cases.serializers.case.CaseWriteSerializer"),
    ("cases.forms.case.SubmitForm", "cases.serializers.case.SubmitSerializer"),
    ("cases.forms.case.ReasonForm", "cases.serializers.case.ReasonSerializer"),
    ("cases.forms.parts.ServiceForm", "cases.serializers.parts.RequestedServiceSerializer"),
    ("cases.forms.parts.NetworkSearchForm", "cases.serializers.parts.NetworkSearchSerializer"),
    ("cases.forms.parts.ConsentForm", "cases.serializers.parts.ConsentSerializer"),
    ("cases.forms.reference.RatePolicyForm", "cases.serializers.reference.RatePolicySerializer"),
    (
        "cases.forms.reference.PolicyRevisionForm",
        "cases.serializers.reference.RatePolicyReviseSerializer",
    ),
    ("cases.forms.reference.PolicyRateForm", "cases.serializers.reference.PolicyRateSerializer"),
    (
        "cases.forms.reference.InsurerContactForm",
        "cases.serializers.reference.InsurerContactSerializer",
    ),
    (
        "negotiations.forms.fee_schedule.PracticeRateForm",
        "negotiations.serializers.fee_schedule.PracticeRateSerializer",
    ),
    (
        "negotiations.forms.agreements.TermsForm",
        "negotiations.serializers.agreements.AcceptSerializer",
    ),
    ("negotiations.forms.offers.DeclineForm", "negotiations.serializers.offers.DeclineSerializer"),
    (
        "negotiations.forms.contacts.ContactForm",
        "negotiations.serializers.contacts.ContactLogSerializer",
    ),
    (
        "negotiations.forms.utilization.UtilizationForm",
        "negotiations.serializers.utilization.UtilizationEntrySerializer",
    ),
    ("negotiations.forms.offers.OfferMetaForm", "negotiations.serializers.offers.OfferSerializer"),
    (
        "negotiations.forms.offers.OfferLineForm",
        "negotiations.serializers.offers.OfferLineSerializer",
    ),
]


def _load(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(import_module(module), name)


def _bounds(field) -> dict:
    """What a form field or a serializer field refuses, in one shape."""
    from rest_framework import serializers

    found: dict = {}
    for attr in ("max_length", "min_value", "max_value", "max_digits", "decimal_places"):
        value = getattr(field, attr, None)
        if value is not None:
            found[attr] = value
    for validator in getattr(field, "validators", []):
        if isinstance(validator, dj.MaxLengthValidator):
            found["max_length"] = validator.limit_value
        elif isinstance(validator, dj.MinValueValidator):
            found["min_value"] = validator.limit_value
        elif isinstance(validator, dj.MaxValueValidator):
            found["max_value"] = validator.limit_value
        elif isinstance(validator, dj.DecimalValidator):
            found["max_digits"] = validator.max_digits
            found["decimal_places"] = validator.decimal_places
    # A list's length is its count of items: a form field for a list says ``max_items``.
    if isinstance(field, serializers.ListField) and "max_length" in found:
        found["max_items"] = found.pop("max_length")
    if getattr(field, "max_items", None) is not None:
        found["max_items"] = field.max_items
    for key in ("min_value", "max_value"):
        if key in found and not callable(found[key]):
            found[key] = Decimal(str(found[key]))
    return found


TIGHTEST = {"max_length": min, "max_items": min, "min_value": max, "max_value": min,
            "max_digits": min, "decimal_places": min}  # fmt: skip


def _effective(field, model_field) -> dict:
    """What is refused once the service has run: the door's own bounds, and the model field's
    validators, which every service runs (``full_clean``) whichever door the input came by."""
    found = _bounds(field)
    if model_field is not None:
        for key, value in _bounds(model_field).items():
            found[key] = TIGHTEST[key](found[key], value) if key in found else value
    return found


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except Exception:  # noqa: BLE001 - not a model field: the doors' bounds are all there is
        return None


def _model_of(*classes):
    return next(
        (c.Meta.model for c in classes if hasattr(c, "Meta") and hasattr(c.Meta, "model")), None
    )


def _form_fields(form_class) -> dict:
    return form_class.base_fields


def _serializer_fields(serializer_class) -> dict:
    serializer = serializer_class(context={})
    return {name: field for name, field in serializer.fields.items() if not field.read_only}


@pytest.mark.parametrize(("form_path", "serializer_path"), PAIRS, ids=[f for f, _ in PAIRS])
def test_form_and_serializer_refuse_the_same_bounds(form_path, serializer_path):
    form_class, serializer_class = _load(form_path), _load(serializer_path)
    model = _model_of(serializer_class, form_class)
    form_fields = _form_fields(form_class)
    serializer_fields = _serializer_fields(serializer_class)
    shared = sorted(set(form_fields) & set(serializer_fields))
    assert shared, "the pair shares no field: the table is stale"
    differ = {}
    for name in shared:
        model_field = _model_field(model, name)
        form = _effective(form_fields[name], model_field)
        api = _effective(serializer_fields[name], model_field)
        if form != api:
            differ[name] = (form, api)
    assert differ == {}


def test_bounds_reads_both_kinds_of_field():
    # The comparison itself: a form's and a serializer's bound on the same value agree, and a
    # drifted bound is seen.
    from django import forms
    from rest_framework import serializers

    assert _bounds(forms.IntegerField(min_value=1)) == _bounds(
        serializers.IntegerField(min_value=1)
    )
    assert _bounds(forms.CharField(max_length=2000)) != _bounds(serializers.CharField())
    assert _bounds(forms.DecimalField(max_digits=8, decimal_places=2)) == _bounds(
        serializers.DecimalField(max_digits=8, decimal_places=2)
    )
    # A bound the model holds counts for both doors: the service validates the model.
    from django.db import models

    field = models.PositiveSmallIntegerField(validators=[dj.MaxValueValidator(52)])
    assert _effective(forms.IntegerField(), field)["max_value"] == 52
