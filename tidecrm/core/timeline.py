"""Write timeline events (audit trail and customer journey)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from .models import TimelineEvent


def record(
    *,
    actor: Any,
    verb: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    label: str = "",
    changes: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    reason: str = "",
    ip: str | None = None,
) -> TimelineEvent:
    """Write one timeline event for ``obj`` (or an explicit type/id) and return it."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk
        label = label or str(obj)
    if object_type is None or object_id is None:  # both columns are NOT NULL
        raise ValueError("timeline.record needs obj, or object_type and object_id")
    return TimelineEvent.objects.create(
        actor=actor,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        object_label=label[:200],
        changes=changes or {},
        data=data or {},
        reason=reason[:500],
        ip=ip,
    )


def diff(instance: object, values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for the ``fields`` whose value in ``values`` differs."""
    changes: dict[str, list[Any]] = {}
    for field in fields:
        if field not in values:
            continue
        old, new = getattr(instance, field), values[field]
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
    return changes


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def events_for(*, object_type: str, object_id: int) -> models.QuerySet[TimelineEvent]:
    """Return the events of one object, newest first."""
    return (
        TimelineEvent.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
