"""Writes to a practice's own records: clients and providers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import Client, Practice, Provider

from .common import apply_fields, clean_and_save, set_history_user

CLIENT_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "insurer",
    "member_id",
    "line_of_business",
    "group_number",
    "plan_name",
    "subscriber_name",
    "guardian_name",
    "guardian_relationship",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "diagnosis_codes",
    "is_active",
]
PROVIDER_FIELDS = [
    "first_name",
    "last_name",
    "credential",
    "npi",
    "license_number",
    "license_state",
    "taxonomy_code",
    "email",
    "phone",
    "is_active",
]


def _normalize_client(client: Client) -> None:
    client.member_id = (client.member_id or "").strip()
    client.diagnosis_codes = [c.strip().upper() for c in client.diagnosis_codes or []]
    if client.insurer_id and not client.member_id:
        raise ValidationError({"member_id": "A member id is required when an insurer is set."})


def _check_insurer_active(client: Client, changed: dict) -> None:
    # A client keeps an insurer that was archived since; it cannot be given one.
    if "insurer" in changed and client.insurer_id and not client.insurer.is_active:
        raise ValidationError(
            {"insurer": f"{client.insurer.name} is archived in the insurer directory."}
        )


@transaction.atomic
def client_create(*, actor, practice: Practice, **data) -> Client:
    client = Client(practice=practice)
    _check_insurer_active(client, apply_fields(client, data, CLIENT_FIELDS))
    _normalize_client(client)
    set_history_user(client, actor)
    clean_and_save(client)
    return client


@transaction.atomic
def client_update(*, client: Client, actor, **data) -> Client:
    client = Client.objects.select_for_update().get(pk=client.pk)
    changed = apply_fields(client, data, CLIENT_FIELDS)
    if changed:
        _check_insurer_active(client, changed)
        _normalize_client(client)
        set_history_user(client, actor)
        clean_and_save(client)
    return client


@transaction.atomic
def provider_create(*, actor, practice: Practice, **data) -> Provider:
    provider = Provider(practice=practice)
    apply_fields(provider, data, PROVIDER_FIELDS)
    set_history_user(provider, actor)
    clean_and_save(provider)
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, actor, **data) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if apply_fields(provider, data, PROVIDER_FIELDS):
        set_history_user(provider, actor)
        clean_and_save(provider)
    return provider


PRACTICE_FIELDS = [
    "name",
    "npi",
    "tax_id",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "fax",
    "email",
    "signatory_name",
    "signatory_title",
]


@transaction.atomic
def practice_update(*, practice: Practice, actor, **data) -> Practice:
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if "tax_id" in data and data["tax_id"]:
        data["tax_id"] = data["tax_id"].replace("-", "").strip()
    if apply_fields(practice, data, PRACTICE_FIELDS):
        set_history_user(practice, actor)
        clean_and_save(practice)
    return practice
