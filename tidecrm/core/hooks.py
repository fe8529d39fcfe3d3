"""What apps above ``core`` provide to it, named in one place (issue 12: dependencies one way).

``core`` imports no app above it. Where a core mechanism needs an answer only a higher app has
— today: which owners' records a caller may see, from ``org.scopes`` — that app provides the
function at start-up (its ``AppConfig.ready``) and core asks for it by name. A missing provider is
a start-up bug, so asking for one raises at once rather than answering something permissive.
"""

from collections.abc import Callable
from typing import Any

_PROVIDED: dict[str, Callable[..., Any]] = {}

# name → what the function answers (the contract a provider must keep)
OWNER_SCOPE = "owner_scope"  # (actor, module, *, owner_field, include_subordinates) → Q over owners


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
