"""The one domain exception. Services raise it; the API and the forms map it once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DomainError(Exception):
    """A business rule refused an operation.

    ``code`` is a stable string (DESIGN.md section 6), ``detail`` a sentence for
    people, ``errors`` the individual failing rules when there are several, and
    ``status`` the HTTP status the API answers with (400 for a rule, 409 for a
    conflict with the current state). ``extra`` adds fields to the API's body, such as the id
    of the record a duplicate repeats (``{"existing_case": 12}``).
    """

    code: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    status: int = 400
    extra: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


def conflict(code: str, detail: str, **extra: object) -> DomainError:
    return DomainError(code=code, detail=detail, status=409, extra=extra)
