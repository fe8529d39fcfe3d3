"""The shared permission matrix (STYLE habit 9): every endpoint answers the five callers right.

A module lists its endpoints as :class:`Case` rows and provides a ``world`` fixture: a dict with
``own`` and ``foreign`` maps from a record kind ("employee", "customer", ...) to a record id in
the caller's enterprise and in another enterprise. The module's tests then check each case for
anonymous (401), no permission (403), allowed (2xx) and the other enterprise's record (404).
Modules whose records are owned by someone add a scoped-out caller (:func:`scoped_out_employee`:
the permissions, but a data scope of 本人) who must get 404 too. A refusal changes nothing:
compare :func:`snapshot` before and after. A world too costly to build for every test can be
built once per module with :func:`module_world`; :func:`uncovered_routes` tells which routes of
an app no row covers yet.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test.utils import override_settings

from tests import factories
from tidecrm.api import api
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.org.models import DataScope


@dataclass
class Case:
    method: str
    path: str  # "{id}" is replaced by the id of a record of kind ``record``
    body: dict | Callable | None = None
    permission: str | None = None  # function permission needed (None: any logged-in employee)
    record: str | None = None  # kind of record the path names: a key of world["own"] / world["foreign"]
    ok: tuple = (200, 201, 204)

    def __str__(self):
        return f"{self.method.upper()} {self.path}"

    def url(self, world, side="own"):
        return self.path.replace("{id}", str(world[side][self.record])) if self.record else self.path

    def payload(self, world, side="own"):
        """The body to send: ``body``, or what a callable ``body`` makes of the world."""
        return self.body(world) if callable(self.body) else self.body


def call(client, case, world, side="own"):
    """Send ``case`` with ``client``, naming the ``side`` ("own" or "foreign") record."""
    url = case.url(world, side)
    if case.method == "get":
        return client.get(url)
    if case.method == "delete":
        return client.delete(url)
    return getattr(client, case.method)(url, case.payload(world, side))


def snapshot(tenant, models: Iterable):
    """Every row of ``models`` in ``tenant`` (``values()`` ordered by pk, by each model's default
    manager): equal before and after a refused call means the refusal changed nothing."""
    with tenant_context(tenant):
        return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def scoped_out_employee(owner, *, name, permissions, modules):
    """An employee of ``owner``'s enterprise whose one role grants ``permissions`` with the data
    scope 本人 (self) for each of ``modules``: allowed to act, yet blind to every record owned
    by someone else, which must answer 404 as a missing record does."""
    with tenant_context(owner.tenant):
        role = org_services.role_create(
            actor=owner,
            name=f"{name}角色",
            permissions=list(permissions),
            data_scopes={module: DataScope.SELF.value for module in modules},
        )
    return factories.employee(owner, name=name, role_keys=(), roles=[role])


def module_world(build):
    """Return a module-scoped fixture whose value is ``build()``, made once per module inside a
    transaction that is rolled back after the module's last test (as Django's ``setUpTestData``).
    Bind it to the name ``shared_world`` and hand it out through a function-scoped fixture that
    asks for ``db``: each test then runs in a savepoint within that transaction, so whatever a
    test changes is undone before the next::

        shared_world = module_world(_build)

        @pytest.fixture
        def world(db, shared_world):
            return shared_world
    """

    @pytest.fixture(scope="module")
    def shared_world(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            # Marked as a TestCase's own block is, so that a durable atomic block in the code
            # under test is still allowed inside it.
            atomic._from_testcase = True
            atomic.__enter__()
            try:
                with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                    value = build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        yield value
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

    return shared_world


def uncovered_routes(tag, calls):
    """The ``(method, path)`` routes of the OpenAPI tag ``tag`` that none of ``calls`` reaches.

    ``calls`` are ``(method, path)`` pairs as the matrix sends them ("{kind}" placeholders and a
    query string allowed); a route's path parameters match any one path segment."""
    sent = [(method, path.split("?")[0]) for method, path in calls]
    missing = []
    for path, operations in api.get_openapi_schema(path_prefix="")["paths"].items():
        pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
        for method, operation in operations.items():
            if tag in operation.get("tags", []) and not any(
                m == method and pattern.fullmatch(p) for m, p in sent
            ):
                missing.append((method, path))
    return missing
