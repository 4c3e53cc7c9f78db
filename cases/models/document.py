"""Migration 0003 names the documents' upload path by this module; the model and the path
live in ``documents``."""

from .documents import document_upload_to

__all__ = ["document_upload_to"]
