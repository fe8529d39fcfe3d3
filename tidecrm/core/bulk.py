"""Bulk actions the API.md way: every record succeeds or fails on its own."""

from django.db import transaction

from .errors import BusinessError


def each_independently(ids, apply):
    """Run ``apply(id)`` for every id in its own savepoint; return ``{succeeded, failed}``.

    One refusal never undoes or blocks the others, and leaves nothing half-done of its own.
    """
    succeeded, failed = [], []
    for record_id in dict.fromkeys(ids):
        try:
            with transaction.atomic():
                apply(record_id)
        except BusinessError as error:
            failed.append({"id": record_id, "code": error.code, "message": error.message})
        else:
            succeeded.append(record_id)
    return {"succeeded": succeeded, "failed": failed}
