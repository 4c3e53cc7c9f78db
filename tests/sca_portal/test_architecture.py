"""The house rules a machine checks (docs/ARCHITECTURE.md): what import-linter cannot see, as it
sees imports only. Each test reads the source with ``ast``; none imports the modules it judges."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "billing_codes", "cases", "negotiations", "sca_portal"]
MAX_LINES = 400


def _sources(*parts: str) -> list[Path]:
    paths = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel:
                continue
            if not parts or any(
                f"/{part}/" in f"/{rel}" or rel.endswith(f"/{part}.py") for part in parts
            ):
                paths.append(path)
    return paths


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_module_over_400_lines():
    long = {
        _rel(path): n
        for path in _sources()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


# ----------------------------------------------------------------------------- services


def _service_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in _sources("services"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                found.append((f"{_rel(path)}:{node.name}", node))
    return found


def test_services_are_found():
    # The rules below would pass vacuously if the walk found nothing.
    names = {name.rsplit(":", 1)[1] for name, _ in _service_functions()}
    assert {"case_submit", "offer_accept", "client_create", "load_codes"} <= names


def test_no_service_takes_arbitrary_keywords():
    """A service names every field it accepts, so a typo is a TypeError at the call, and the
    signature documents the action (STYLE: no ``**data`` in a service signature)."""
    loose = [name for name, fn in _service_functions() if fn.args.kwarg is not None]
    assert loose == []


def test_services_raise_no_http_exceptions():
    """Services speak the domain (DomainError, ValidationError); the doors turn that into HTTP."""
    http = {"Http404", "PermissionDenied", "APIException", "NotFound", "HttpResponse"}
    found = []
    for path in _sources("services"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                name = getattr(target, "id", getattr(target, "attr", ""))
                if name in http:
                    found.append(f"{_rel(path)}:{node.lineno} raises {name}")
    assert found == []


# ----------------------------------------------------------------------------- the doors

# ``obj.save()`` and ``obj.delete()`` are model writes whatever ``obj`` is; ``create`` and
# ``update`` are only when called on a manager or queryset (``dict.update`` is not a write).
SAVES = {"save", "delete"}
QUERY_WRITES = {"create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
                "update_or_create"}  # fmt: skip
MANAGERS = (".objects", "_set", ".filter(", ".exclude(", ".all(", ".select_for_update(")
# Receivers whose save is not a model's: a form's or serializer's own save (which the door
# then hands to a service, or never calls), and the view itself.
NOT_MODELS = {"self", "super", "form", "formset", "serializer", "request", "session"}


def _receiver(node: ast.AST) -> str:
    """The leftmost name of ``a.b.c()``: ``a``."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _door_writes(source: str, label: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        verb, chain = node.func.attr, ast.unparse(node.func.value)
        receiver = _receiver(node.func.value)
        if receiver in NOT_MODELS or receiver.endswith(("_form", "_formset", "serializer")):
            continue
        on_query = any(marker in f"{chain}(" for marker in MANAGERS) or chain.endswith(
            ("objects", "_set")
        )
        if verb in SAVES or (verb in QUERY_WRITES and on_query):
            found.append(f"{label}:{node.lineno} {chain}.{verb}()")
    return found


DOORS = ("api", "views", "admin", "audit_api", "web", "downloads", "context_processors",
         "dashboard", "tasks")  # fmt: skip


def test_doors_are_found():
    rels = {_rel(p) for p in _sources(*DOORS)}
    assert "cases/admin.py" in rels
    assert any(r.startswith("cases/api") for r in rels)
    assert any(r.startswith("negotiations/views") for r in rels)


def test_views_api_admin_and_tasks_never_write_models_themselves():
    """Every write goes through a service (DESIGN.md section 3, house rules 1 and 3): API,
    pages, the admin and the tasks stay thin. A write here would skip the service's rules,
    history and events."""
    found = [hit for path in _sources(*DOORS) for hit in _door_writes(path.read_text(), _rel(path))]
    assert found == []


def test_the_door_check_catches_a_write():
    # The walker itself: a view that saves a model is caught; a form's save is the form's.
    view = (
        "def post(request, case):\n"
        "    case.status = 'x'\n"
        "    case.save()\n"
        "    Case.objects.filter(pk=1).update(status='y')\n"
        "    form.save()\n"
        "    ctx.update(a=1)\n"
        "    case.offers.filter(status='o').update(status='r')\n"
    )
    assert _door_writes(view, "views.py") == [
        "views.py:3 case.save()",
        "views.py:4 Case.objects.filter(pk=1).update()",
        "views.py:7 case.offers.filter(status='o').update()",
    ]


# ----------------------------------------------------------------------------- the role table


def test_every_role_check_names_an_action_in_the_one_table():
    from cases.permissions import ACTION_ROLES

    names = set()
    for path in _sources(*DOORS):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "role_action" for t in node.targets
            ):
                value = ast.literal_eval(node.value)
                names |= set(value.values()) if isinstance(value, dict) else {value}
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"can", "require"}
                and node.args
                and isinstance(node.args[-1], ast.Constant)
            ):
                names.add(node.args[-1].value)
    assert names  # the walk found the checks
    assert names - set(ACTION_ROLES) == set()


@pytest.mark.parametrize("name", ["min_role", "write_role", "ROLE_RANK", "staff_steps"])
def test_no_second_role_table(name):
    found = [
        f"{_rel(path)}:{n}"
        for path in _sources()
        if path.name != "permissions.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if name in line
    ]
    assert found == []


def test_role_table_is_read_by_the_permission_class():
    from cases import permissions

    source = inspect.getsource(permissions.required_role)
    assert "role_for(" in source


# ----------------------------------------------------------------------------- types

MAX_TYPE_IGNORES = 10


def _type_ignores() -> list[tuple[str, str]]:
    return [
        (f"{_rel(path)}:{n}", line.split("# type: ignore", 1)[1])
        for path in _sources()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "# type: ignore" in line
    ]


def test_type_ignores_are_few_and_each_says_why():
    """mypy runs on everything (``make lint``); a silenced line names the error it silences
    and, after it, the reason (``# type: ignore[attr-defined]  # not in the stubs``)."""
    ignores = _type_ignores()
    assert len(ignores) <= MAX_TYPE_IGNORES
    unexplained = [
        where for where, rest in ignores if not (rest.startswith("[") and "]  # " in rest)
    ]
    assert unexplained == []


def test_mypy_checks_every_module():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert not any(o.get("ignore_errors") for o in config.get("overrides", []))
    assert "mypy_django_plugin.main" in config["plugins"]
    assert "mypy_drf_plugin.main" in config["plugins"]
