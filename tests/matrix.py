"""The shared permission matrix (STYLE habit 9): every endpoint answers the five callers right.

A module lists its endpoints as :class:`Case` rows and provides a ``world`` fixture: a dict with
``own`` and ``foreign`` maps from a record kind ("employee", "customer", ...) to a record id in
the caller's enterprise and in another enterprise. The module's tests then check each case for
anonymous (401), no permission (403), allowed (2xx) and the other enterprise's record (404).
"""

from collections.abc import Callable
from dataclasses import dataclass


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


def call(client, case, world, side="own"):
    """Send ``case`` with ``client``, naming the ``side`` ("own" or "foreign") record."""
    url = case.url(world, side)
    if case.method == "get":
        return client.get(url)
    if case.method == "delete":
        return client.delete(url)
    body = case.body(world) if callable(case.body) else case.body
    return getattr(client, case.method)(url, body)
