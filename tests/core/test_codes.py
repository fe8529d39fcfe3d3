"""Error codes and timeline verbs are named constants, not free strings (issue 12, item 7).

Every error code is a constant of :mod:`tidecrm.core.codes`; every timeline verb a constant of
its app's ``verbs.py``. The source of the product is read (``ast``, nothing is imported) and a
raise or a timeline write that spells its code or verb as a string literal fails the test.
Verbs built from a constant part and a value (``f"{flow_model.subject_field}.{kind}"``,
``f"{kind}.plan_added"``) are families documented in the ``verbs.py`` modules, and stay allowed.
"""

import ast
import re
from pathlib import Path

import pytest

import tidecrm

PACKAGE = Path(tidecrm.__file__).parent

# Where the codes are defined: the error classes' ``default_code`` and the constants themselves.
DEFINITION_FILES = {"core/errors.py", "core/codes.py"}

# The classes that carry a code as their first positional argument: the API's errors, and the
# refusals of core.sheets (an import maps them to its own refusal, code unchanged).
ROOT_CLASSES = ("BusinessError", "Refusal")
# Error classes whose first positional argument is not the code (``ValidationFailed(fields, ...,
# code=...)``): only their ``code=`` keyword is checked. Subclasses inherit the rule.
CODE_KEYWORD_ONLY = {"ValidationFailed"}

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
VERB = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "/migrations/" in relative:
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


SOURCES = list(_sources())


def _error_classes():
    """Return ``{class name: code is keyword-only}`` for BusinessError and every subclass in the
    product (by the names of the bases, to a fixed point)."""
    bases = {}
    for _relative, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = set()
                for base in node.bases:
                    names.add(base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None))
                bases[node.name] = names
    classes = dict.fromkeys(ROOT_CLASSES, False)
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            known = [classes[parent] for parent in parents if parent in classes]
            if name not in classes and known:
                classes[name] = name in CODE_KEYWORD_ONLY or any(known)
                changed = True
    for name in CODE_KEYWORD_ONLY:
        classes[name] = True
    return classes


ERROR_CLASSES = _error_classes()


def _called_name(call):
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return getattr(function, "id", None)


def _literals(node, *, formatted):
    """The string literals ``node`` is made of: a constant, either branch of a conditional, and
    (when ``formatted``) an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body, formatted=formatted) + _literals(node.orelse, formatted=formatted)
    if formatted and isinstance(node, ast.JoinedStr):
        return [ast.unparse(node)]
    return []


def literal_codes():
    """Return ``[(file:line, code)]``: every error or refusal constructed with a literal code, and
    every refusal handed back as a row dict ``{"refusal": ...}`` (core.sheet_reader's child)."""
    found = []
    for relative, tree in SOURCES:
        if relative in DEFINITION_FILES:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "refusal":
                        found += [
                            (f"{relative}:{node.lineno}", code) for code in _literals(value, formatted=True)
                        ]
                continue
            if not isinstance(node, ast.Call) or _called_name(node) not in ERROR_CLASSES:
                continue
            arguments = [keyword.value for keyword in node.keywords if keyword.arg == "code"]
            if node.args and not ERROR_CLASSES[_called_name(node)]:
                arguments.append(node.args[0])
            for argument in arguments:
                found += [(f"{relative}:{node.lineno}", code) for code in _literals(argument, formatted=True)]
    return found


def literal_verbs():
    """Return ``[(file:line, verb)]``: every timeline event written with a literal verb, through
    ``timeline.record(verb=...)``, ``TimelineEvent(verb=...)`` / ``.objects.create(verb=...)``,
    or a row dict ``{"verb": ...}`` for a bulk insert."""
    found = []
    for relative, tree in SOURCES:
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.Call):
                values = [keyword.value for keyword in node.keywords if keyword.arg == "verb"]
            elif isinstance(node, ast.Dict):
                values = [
                    value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value == "verb"
                ]
            for value in values:
                found += [(f"{relative}:{node.lineno}", verb) for verb in _literals(value, formatted=False)]
    return found


def _constants(tree):
    """``[(name, value)]`` of the module-level ``NAME = "value"`` assignments of ``tree``."""
    constants = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            constants += [(target.id, node.value.value) for target in node.targets if target.id.isupper()]
    return constants


def _module(relative):
    return dict(SOURCES)[relative]


def test_the_error_classes_are_found():
    assert {
        "BusinessError",
        "NotFound",
        "PermissionDenied",
        "ValidationFailed",
        "Throttled",
        "Refusal",
    } <= set(ERROR_CLASSES)
    assert ERROR_CLASSES["ValidationFailed"] and not ERROR_CLASSES["NotFound"]


def test_no_error_is_raised_with_a_literal_code():
    assert literal_codes() == [], "use a constant of tidecrm.core.codes"


def test_codes_are_unique_snake_case_constants():
    constants = _constants(_module("core/codes.py"))
    names = [name for name, _value in constants]
    values = [value for _name, value in constants]

    assert len(constants) > 50
    assert len(set(names)) == len(names), "a code constant is assigned twice"
    assert len(set(values)) == len(values), "two code constants share a value"
    assert [value for value in values if not SNAKE_CASE.match(value)] == []
    assert [name for name, value in constants if name != value.upper()] == []


def test_the_core_codes_module_matches_its_source():
    from tidecrm.core import codes

    constants = dict(_constants(_module("core/codes.py")))
    assert {name: getattr(codes, name) for name in constants} == constants


def test_no_timeline_event_has_a_literal_verb():
    assert literal_verbs() == [], "use a constant of the app's verbs.py"


VERB_MODULES = sorted(relative for relative, _tree in SOURCES if relative.endswith("/verbs.py"))


def test_every_app_that_writes_events_has_a_verbs_module():
    assert VERB_MODULES, "no verbs.py found"
    # A write names its verb (a constant, ``verbs.X``). Forwarding one (``core.timeline.record``'s
    # parameter) or building one of a family (``core.ownership``'s ``<subject>.<kind>``, documented
    # by the subject's app) needs no verbs module of its own.
    writers = set()
    for relative, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and any(
                keyword.arg == "verb" and isinstance(keyword.value, (ast.Constant, ast.Attribute))
                for keyword in node.keywords
            ):
                writers.add(relative.split("/", 1)[0])
    missing = {app for app in writers if f"{app}/verbs.py" not in VERB_MODULES}
    assert missing == set()


@pytest.mark.parametrize("relative", VERB_MODULES)
def test_verbs_are_unique_object_dot_event_constants(relative):
    constants = _constants(_module(relative))
    names = [name for name, _value in constants]
    values = [value for _name, value in constants]

    assert constants
    assert len(set(names)) == len(names), "a verb constant is assigned twice"
    assert len(set(values)) == len(values), "two verb constants share a value"
    assert [value for value in values if not VERB.match(value)] == []
    assert [name for name, value in constants if name != value.replace(".", "_").upper()] == []


def test_no_verb_is_defined_by_two_apps():
    owners = {}
    for relative in VERB_MODULES:
        for _name, value in _constants(_module(relative)):
            owners.setdefault(value, []).append(relative)
    assert {value: apps for value, apps in owners.items() if len(apps) > 1} == {}
