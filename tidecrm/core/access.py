"""The access policy: the one way to ask "may this employee see or change this record".

Each owned entity (lead, customer, contact, follow-up, opportunity, contract, order, payment,
invoice, attachment) has one :class:`Policy`, written by the app that owns the entity and
registered here with :func:`register`. A policy answers, as SQL, which rows an actor may touch
for an action (``condition``), which of them the actor may at least know exist (``known``: the
rows whose refusal is not a 404), and what the refusal of a known row is (``denied``). Two calls
put it to work everywhere:

- :func:`restrict` ``(queryset, actor, action)`` for lists, exports and counts;
- :func:`access` ``(model, actor, pk, action, lock=False)`` for one record (each app wraps it as
  ``access_<entity>``): a missing record and one the actor may not know about are the same 404;
  with ``lock`` the row is locked (only once the actor is known to see it, so nobody waits on a
  row they cannot see) and the decision is taken again on the locked row, which someone else may
  have moved while we waited.

Tenancy is not the policy's business: every tenant-owned manager already filters by the bound
enterprise, so another enterprise's record is simply missing.

The actions an app uses are its own words (``view``, ``read``, ``change``, ``manage``,
``follow_up``, ``restore``, ``work``...), listed by each policy's ``actions``; an unknown one is a
programming error, not a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from .errors import NotFound
from .models import TenantModel
from .permissions import check

VIEW = "view"


def any_of(*conditions: Q) -> Q:
    """The OR of ``conditions``, where an empty ``Q()`` means "every row" (as the data-scope
    helpers return it for the whole company): Django drops an empty Q from an OR, which would
    narrow the result instead of widening it."""
    result = None
    for condition in conditions:
        if not condition:
            return Q()
        result = condition if result is None else result | condition
    return result if result is not None else Q(pk__in=[])


@dataclass
class Policy:
    """How one model's rows are guarded.

    ``conditions`` maps each action to ``(actor) -> Q``: the rows the actor may act on.
    ``known`` maps an action to the action whose rows are answered with :meth:`denied` rather than
    404 when the actor may not do it (``{"change": "view"}``: whoever sees a record is told they
    may not change it); an action not listed is its own (refused with 404). ``denied(actor, record, action)``
    returns the exception for a known row (default: 404). ``shortcut(actor, record, action)``
    may answer True without a query (the owner of an owned record, say); it never answers False.
    """

    model: type[TenantModel]
    conditions: dict[str, Callable[[Any], Q]]
    known: dict[str, str] = field(default_factory=dict)
    denied: Callable[[Any, Any, str], Exception] | None = None
    shortcut: Callable[[Any, Any, str], bool] | None = None
    base: Callable[[], Q] = Q  # rows that exist for the policy at all (not soft-deleted...)

    @property
    def actions(self) -> Iterable[str]:
        return self.conditions.keys()

    def condition(self, actor: Any, action: str) -> Q:
        try:
            make = self.conditions[action]
        except KeyError:
            raise ValueError(f"{self.model.__name__} has no action {action!r}") from None
        return self.base() & make(actor)

    def known_action(self, action: str) -> str:
        return self.known.get(action, action)

    def refusal(self, actor: Any, record: Any, action: str) -> Exception:
        return self.denied(actor, record, action) if self.denied else NotFound()


_POLICIES: dict[type[models.Model], Policy] = {}  # by model


def register(policy: Policy) -> Policy:
    """Register ``policy`` for its model (once, at import of the app's ``access`` module)."""
    _POLICIES[policy.model] = policy
    return policy


def policy_for(model: type[models.Model]) -> Policy:
    """Return the access policy registered for ``model``; raise ``LookupError`` if there is none."""
    try:
        return _POLICIES[model]
    except KeyError:
        raise LookupError(f"no access policy for {model.__name__}") from None


def restrict(queryset: QuerySet[Any], actor: Any, action: str = VIEW) -> QuerySet[Any]:
    """``queryset`` narrowed to the rows ``actor`` may ``action`` (lists, exports, counts)."""
    return queryset.filter(policy_for(queryset.model).condition(actor, action))


def _exists(policy: Policy, actor: Any, action: str, pk: Any) -> bool:
    return policy.model.objects.filter(policy.condition(actor, action), pk=pk).exists()


def permits(actor: Any, record: Any, action: str) -> bool:
    """Whether ``actor`` may ``action`` the (already read) ``record``."""
    policy = policy_for(type(record))
    if policy.shortcut and policy.shortcut(actor, record, action):
        return True
    return _exists(policy, actor, action, record.pk)


def require(actor: Any, record: Any, action: str) -> None:
    """Refuse (the policy's refusal) unless ``actor`` may ``action`` the visible ``record``."""
    if not permits(actor, record, action):
        raise policy_for(type(record)).refusal(actor, record, action)


def access(
    model: type[TenantModel],
    actor: Any,
    pk: Any,
    action: str = VIEW,
    *,
    lock: bool = False,
    related: Iterable[str] = (),
    permission: str | None = None,
) -> Any:
    """The record ``pk`` of ``model`` if ``actor`` may ``action`` it.

    In this order: missing and unknown to the actor alike raise :class:`NotFound`; then, for a row
    the actor knows of, the function ``permission`` (``customer.transfer``...) is checked (403
    ``permission_denied``); then a row the actor may not ``action`` raises the policy's refusal.
    So a record is never confirmed to someone who may not see it, and someone who sees it is told
    which right they lack. With ``lock`` (inside a transaction) the row is locked ``FOR UPDATE``
    once the actor is known to see it, and the decision is taken on the locked row. ``related``
    names the ``select_related`` of the returned record.
    """
    policy = policy_for(model)
    known = policy.known_action(action)
    if lock:
        if not _exists(policy, actor, known, pk):
            raise NotFound()
        if permission:
            check(actor, permission)
        # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        record = (
            model.objects.select_for_update(of=("self",))
            .filter(policy.base(), pk=pk)
            .select_related(*related)
            .first()
        )
        if record is None:
            raise NotFound()
        if policy.shortcut and policy.shortcut(actor, record, action):
            return record
        if _exists(policy, actor, action, pk):
            return record
        # Refused on the locked row: a 404 if it has left what the actor may know about meanwhile.
        if known == action or not _exists(policy, actor, known, pk):
            raise NotFound()
        raise policy.refusal(actor, record, action)
    record = model.objects.filter(policy.condition(actor, known), pk=pk).select_related(*related).first()
    if record is None:
        raise NotFound()
    if permission:
        check(actor, permission)
    if known != action and not permits(actor, record, action):
        raise policy.refusal(actor, record, action)
    return record
