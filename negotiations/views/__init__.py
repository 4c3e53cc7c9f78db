"""Browser views of the negotiations app."""
