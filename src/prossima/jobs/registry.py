"""The kinds of background job and the functions that do them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from prossima.jobs.models import Job


class Reporter(Protocol):
    """What a job function calls to report progress (and prove it is alive)."""

    def __call__(self, done: int, total: int, message: str = "") -> None: ...


JobFunction = Callable[[Job, Reporter], dict[str, Any]]
AbandonedHook = Callable[[Job], None]
_REGISTRY: dict[str, JobFunction] = {}
_ABANDONED: dict[str, AbandonedHook] = {}


def job_kind(kind: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``function`` as the worker for jobs of ``kind``."""

    def register(function: JobFunction) -> JobFunction:
        if kind in _REGISTRY and _REGISTRY[kind] is not function:
            raise ValueError(f"Job kind {kind!r} is registered twice.")
        _REGISTRY[kind] = function
        return function

    return register


def on_abandoned(kind: str) -> Callable[[AbandonedHook], AbandonedHook]:
    """Register what to tidy when a job of ``kind`` is found killed (its worker died).

    The job's function cannot record its own end then, so records it keeps
    beside the job (an import's report) would claim to run for ever.
    """

    def register(hook: AbandonedHook) -> AbandonedHook:
        _ABANDONED[kind] = hook
        return hook

    return register


def abandoned_hook(kind: str) -> AbandonedHook | None:
    """Return the tidying hook of a job kind, if it has one."""
    return _ABANDONED.get(kind)


def function_for(kind: str) -> JobFunction:
    """Return the function of a job kind, or raise a clear error."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(
            f"No job function for kind {kind!r}; known kinds: {', '.join(sorted(_REGISTRY))}."
        ) from None


def kinds() -> list[str]:
    """Return the registered job kinds."""
    return sorted(_REGISTRY)
