"""The rules of practices and their members (cases.services.tenancy), and what a write finds
gone when the row it names was deleted meanwhile."""

import pytest
from django.core.exceptions import ValidationError

from cases.models import Membership, NetworkSearch, Practice
from cases.services.case import lock_case
from cases.services.parts import network_search_update
from cases.services.tenancy import (
    membership_add,
    membership_remove,
    membership_update,
    practice_create,
    practice_update,
)
from tests.factories import CaseFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory(username="operator", is_staff=True)


def test_practice_create_keeps_the_tax_id_digits_and_the_author(operator):
    practice = practice_create(
        actor=operator, data={"name": "New Leaf ABA", "tax_id": "45-1234567"}
    )
    assert Practice.objects.get(pk=practice.pk).tax_id == "451234567"
    assert practice.history.first().history_user == operator


def test_practice_refuses_a_field_it_does_not_take(operator):
    practice = practice_create(actor=operator, data={"name": "New Leaf ABA"})
    with pytest.raises(ValidationError) as refused:
        practice_update(practice=practice, actor=operator, data={"is_active": False})
    assert refused.value.message_dict == {"is_active": ["This field cannot be changed here."]}


def test_a_user_joins_a_practice_once(operator):
    member = MembershipFactory()
    with pytest.raises(ValidationError):
        membership_add(actor=operator, practice=member.practice, user=member.user, role="admin")


def test_a_membership_role_is_one_of_the_roles(operator):
    member = MembershipFactory()
    with pytest.raises(ValidationError) as refused:
        membership_update(actor=operator, membership=member, role="owner")
    assert "role" in refused.value.message_dict


def test_practice_keeps_at_least_one_admin(operator):
    only = MembershipFactory(role="admin")
    with pytest.raises(ValidationError) as demoted:
        membership_update(actor=operator, membership=only, role="staff")
    assert list(demoted.value.message_dict) == ["role"]
    with pytest.raises(ValidationError) as removed:
        membership_remove(actor=operator, membership=only)
    assert list(removed.value.message_dict) == ["role"]
    only.refresh_from_db()
    assert only.role == "admin"


def test_an_admin_steps_down_once_another_is_admin(operator):
    first = MembershipFactory(role="admin")
    second = membership_add(
        actor=operator, practice=first.practice, user=UserFactory(), role="admin"
    )
    membership_update(actor=operator, membership=first, role="staff")
    membership_remove(actor=operator, membership=first)
    assert list(Membership.objects.filter(practice=first.practice)) == [second]


def test_staff_leave_without_the_admin_rule(operator):
    MembershipFactory(role="admin")
    staff = MembershipFactory(role="staff")  # another practice, no admin there
    membership_remove(actor=operator, membership=staff)
    assert not Membership.objects.filter(pk=staff.pk).exists()


def test_a_membership_removed_meanwhile_is_a_refusal(operator):
    member = MembershipFactory(role="staff")
    Membership.objects.filter(pk=member.pk).delete()
    with pytest.raises(ValidationError, match="no longer exists"):
        membership_update(actor=operator, membership=member, role="billing")


def test_a_row_deleted_meanwhile_is_a_refusal_not_a_server_error(operator):
    case = CaseFactory()
    with pytest.raises(ValidationError, match="This in-network attempt no longer exists"):
        network_search_update(search_id=987654, actor=operator, data={"notes": "x"})
    assert not NetworkSearch.objects.exists()
    with pytest.raises(ValidationError, match="This case no longer exists"):
        lock_case(case.pk + 1000)
