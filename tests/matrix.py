"""The shared permission matrix (STYLE habit 9): every endpoint answers the five callers right.

A module lists its endpoints as :class:`Case` rows; :func:`run_matrix` checks each one for
anonymous (401), no permission (403, for cases that need one), scoped in (2xx), and another
enterprise's record (404). Later modules (leads, customers, ...) add their own rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Case:
    method: str
    path: str  # may contain "{id}", filled by make_target(world) for the caller's own enterprise
    body: dict | Callable | None = None
    permission: str | None = None  # function permission needed (None: any logged-in employee)
    make_target: Callable | None = None  # world -> id in the caller's enterprise
    make_foreign: Callable | None = None  # world -> id of the same kind in another enterprise
    ok: tuple = (200, 201, 204)
    tags: list = field(default_factory=list)

    def url(self, target_id):
        return self.path.replace("{id}", str(target_id)) if target_id is not None else self.path

    def payload(self, world):
        return self.body(world) if callable(self.body) else self.body


def call(client, case, world, target_id):
    url = case.url(target_id)
    if case.method == "get":
        return client.get(url)
    if case.method == "delete":
        return client.delete(url)
    return getattr(client, case.method)(url, case.payload(world))
