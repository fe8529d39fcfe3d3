"""Every extension point of the product, named in one place (issue 12: dependencies one way).

Dependencies point one way (core ← accounts ← org ← domain apps ← shell, demo). Where code needs
something only an app above it knows — which owners a caller may see, how many customers an
employee holds, what follows a customer's new owner — the app above registers it at start-up
(from its ``AppConfig.ready``, usually in its ``hooks.py``) and the code below reads it here.
This module is the list of those points, each with the contract its entries keep; nothing
else in the product keeps a registry of its own, and no business rule runs in a Django signal.

Three shapes:

- **one provider** (:func:`provide` / :func:`get`): exactly one function, missing = start-up bug;
- **keyed entries** (:func:`register` with ``key`` / :func:`keyed`): one entry per key, in
  registration order (registering a key again replaces it);
- **listeners** (:func:`register` / :func:`each`): every entry, in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Point:
    name: str
    contract: str  # what an entry receives and answers
    keyed: bool = False


# ---------------------------------------------------------------- the points

# one provider
OWNER_SCOPE = (
    "owner_scope"  # org.scopes.visible_owner_q: (actor, module, *, owner_field, include_subordinates) → Q
)

# keyed
INHERITANCE = Point(
    "inheritance",
    "org.inheritance.InheritanceHandler per record kind (lead, customer): count and move a resigned "
    "employee's records (INH-01..04)",
    keyed=True,
)
HOLDING_COUNTERS = Point(
    "holding_counters",
    "count_owned(employee_ids) → {employee_id: n} per object (lead, customer): what counts toward "
    "the holding limit (HOLD-01..04)",
    keyed=True,
)
RULES = Point(
    "rules",
    "runner(*, now) → records changed, per rule name, run inside a bound tenant by rules.engine "
    "(set-based, idempotent)",
    keyed=True,
)
APPROVAL_HANDLERS = Point(
    "approval_handlers",
    "office.approvals.Handler per object type (contract, order): what approval, rejection and "
    "withdrawal do to the record",
    keyed=True,
)
DETAIL_SECTIONS = Point(
    "customer_detail_sections",
    "section(actor, customer) → template context, per key: what other apps add to the customer "
    "detail (CUST-05; sales: opportunities and contracts)",
    keyed=True,
)

# listeners
OWNER_CHANGED = Point(
    "customer_owner_changed",
    "listener(customer, old_owner, new_owner, kind, actor), inside the move's transaction "
    "(POOL-14: opportunities and contracts follow the customer)",
)
RELEASE_GUARDS = Point(
    "customer_release_guards",
    "guard(customer) raising a BusinessError when the customer may not go to the pool now "
    "(CUST-19: a contract in approval)",
)
DEAL_SOURCES = Point(
    "customer_deal_sources",
    "source(customer_ids) → {customer_id: [statuses]}: the records whose statuses make a customer's "
    "deal status (CUST-26)",
)
TENANT_CREATED = Point(
    "tenant_created",
    "seed() inside the new enterprise's tenant_context and its registration transaction: what the "
    "enterprise starts with (default library, stages, settings rows), so that reads never write",
)
DEPARTMENT_DELETING = Point(
    "department_deleting",
    "listener(department), inside the deletion's transaction, before the row goes (customers: "
    "pool targets at it go, and customers targeted at it alone are open to their library again)",
)

_PROVIDED: dict[str, Callable[..., Any]] = {}
_ENTRIES: dict[Point, Any] = {}


def provide(name: str, function: Callable[..., Any]) -> None:
    """Register ``function`` as the provider of ``name`` (idempotent for the same function)."""
    current = _PROVIDED.get(name)
    if current is not None and current is not function:
        raise RuntimeError(f"core hook {name!r} is already provided by {current!r}")
    _PROVIDED[name] = function


def get(name: str) -> Callable[..., Any]:
    """Return the provider of ``name``; raise at once when no app provides it (a start-up bug)."""
    try:
        return _PROVIDED[name]
    except KeyError:
        raise RuntimeError(f"no app provides the core hook {name!r}") from None


def register(point: Point, entry: Any, *, key: str | None = None) -> Any:
    """Add ``entry`` to ``point`` (under ``key`` for a keyed point, replacing an earlier one);
    registering the same listener twice keeps one. Returns ``entry``."""
    if point.keyed:
        if key is None:
            raise TypeError(f"{point.name} is keyed: register with key=")
        _ENTRIES.setdefault(point, {})[key] = entry
    else:
        if key is not None:
            raise TypeError(f"{point.name} takes listeners, not keys")
        listeners = _ENTRIES.setdefault(point, [])
        if entry not in listeners:
            listeners.append(entry)
    return entry


def keyed(point: Point) -> dict[str, Any]:
    """The entries of a keyed point, ``{key: entry}`` in registration order (a live view)."""
    if not point.keyed:
        raise TypeError(f"{point.name} takes listeners: use each()")
    return _ENTRIES.setdefault(point, {})


def each(point: Point) -> list[Any]:
    """The listeners of ``point``, in registration order (a copy)."""
    if point.keyed:
        raise TypeError(f"{point.name} is keyed: use keyed()")
    return list(_ENTRIES.get(point, []))
