"""Scoped reads, one module per area: the one door to tenant data (``tenancy``, ``people``,
``case``, ``parts``, ``documents``), the policy in force (``reference``), readiness and the
audit's reads.
Import from the area module; this package exports nothing."""
