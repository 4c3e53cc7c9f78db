"""URL converters for the browser views."""

from django.urls import register_converter


class IdConverter:
    """An object id the database can hold (at most 9 digits); anything else is a 404, never a
    database error."""

    regex = r"[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
