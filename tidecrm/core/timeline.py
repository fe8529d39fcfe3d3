"""Write timeline events (audit trail and customer journey)."""

from .models import TimelineEvent


def record(
    *,
    actor,
    verb,
    obj=None,
    object_type=None,
    object_id=None,
    label="",
    changes=None,
    data=None,
    reason="",
    ip=None,
):
    """Write one timeline event for ``obj`` (or an explicit type/id) and return it."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk
        label = label or str(obj)
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


def diff(instance, values, fields):
    """Return ``{field: [old, new]}`` for the ``fields`` whose value in ``values`` differs."""
    changes = {}
    for field in fields:
        if field not in values:
            continue
        old, new = getattr(instance, field), values[field]
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
    return changes


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def events_for(*, object_type, object_id):
    """Return the events of one object, newest first."""
    return (
        TimelineEvent.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
