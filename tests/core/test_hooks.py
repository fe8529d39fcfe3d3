"""The one registry (core.hooks): its shapes refuse misuse, every app registers at start-up, and
no business rule hides in a Django signal."""

import ast
from pathlib import Path

import pytest

from tidecrm.core import hooks

ROOT = Path(__file__).resolve().parents[2] / "tidecrm"


def test_keyed_points_replace_by_key_and_listeners_keep_one_copy():
    point = hooks.Point("test_keyed", "testing", keyed=True)
    hooks.register(point, 1, key="a")
    hooks.register(point, 2, key="b")
    hooks.register(point, 3, key="a")
    assert hooks.keyed(point) == {"a": 3, "b": 2}
    listeners = hooks.Point("test_listeners", "testing")
    hooks.register(listeners, print)
    hooks.register(listeners, print)
    assert hooks.each(listeners) == [print]


def test_shapes_are_not_mixed():
    keyed, listeners = hooks.Point("k", "t", keyed=True), hooks.Point("l", "t")
    with pytest.raises(TypeError):
        hooks.register(keyed, print)
    with pytest.raises(TypeError):
        hooks.register(listeners, print, key="x")
    with pytest.raises(TypeError):
        hooks.each(keyed)
    with pytest.raises(TypeError):
        hooks.keyed(listeners)


def test_the_apps_registered_at_start_up():
    assert set(hooks.keyed(hooks.INHERITANCE)) == {"lead", "customer"}
    assert set(hooks.keyed(hooks.HOLDING_COUNTERS)) == {"lead", "customer"}
    assert "lead_timeout_recycle" in hooks.keyed(hooks.RULES)
    assert "contract" in hooks.keyed(hooks.APPROVAL_HANDLERS)
    assert set(hooks.keyed(hooks.DETAIL_SECTIONS)) >= {"sales.opportunities", "sales.contracts"}
    for point in (hooks.OWNER_CHANGED, hooks.RELEASE_GUARDS, hooks.DEAL_SOURCES, hooks.DEPARTMENT_DELETING):
        assert hooks.each(point), point.name


def test_no_business_rule_runs_in_a_django_signal():
    """Model signals run hidden from the service that caused them (and not at all for bulk
    updates): the product registers at core.hooks and its services call the listeners."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.db.models.signals":
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
