"""A listener must never raise: Bolt would then wait out the 3-second ack and log a traceback.

Payloads come from outside and can be odd in ways no test foresaw, so every listener is
wrapped: an exception becomes one log line and the request is still acknowledged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("bot.slack.listeners")

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    @functools.wraps(fn)  # Bolt reads the wrapped function's argument names
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            log.warning(
                "%s could not handle a request: %s: %s", fn.__name__, type(err).__name__, err
            )
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                try:
                    ack()
                except Exception:  # pragma: no cover - nothing more we can do
                    pass
            return None

    return wrapper  # type: ignore[return-value]
