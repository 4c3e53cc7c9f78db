"""What every app builds on and nothing in it knows the apps: the domain exception and its HTTP
mapping, the API's pagination and rendering, refusals shown on forms, the admin's bases, PDF
rendering, query helpers and the signed-in user. The apps import it; ``sca_portal`` wires the
apps together and nothing imports it back (import-linter)."""
