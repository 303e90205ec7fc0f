"""Which consultations, meetings and courses (the *spaces*) a person may see, as SQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import MANAGING_ROLES, memberships_of
from prossima.dialogue.models import Access

M = TypeVar("M", bound=Model)


def organisations_of(user: Any, roles: Iterable[str] | None = None) -> list[Organisation]:
    """Return the user's organisations by name (only those where they hold one of ``roles``)."""
    wanted = None if roles is None else set(roles)
    seen: dict[int, Organisation] = {}
    for membership in memberships_of(user):
        if wanted is None or membership.role in wanted:
            seen.setdefault(membership.organisation_id, membership.organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def organisations_managed_by(user: Any) -> list[Organisation]:
    """Return the organisations whose consultations, meetings and courses the user may run."""
    if getattr(user, "is_superuser", False):
        return list(Organisation.objects.order_by("name"))
    return organisations_of(user, MANAGING_ROLES)


def visible(model: type[M], user: Any) -> QuerySet[M]:
    """Return the spaces of ``model`` the user may open, as ``sees_space`` decides one by one.

    Members of the owner see everything it has, drafts included; others see
    what is published and open to everyone, or to an invited organisation of theirs.
    """
    found: QuerySet[M] = model._default_manager.select_related("organisation")
    if getattr(user, "is_superuser", False):
        return found
    ids = {m.organisation_id for m in memberships_of(user)}
    shown = Q(published=True, access=Access.PUBLIC)
    if ids:
        through = model.invited.through  # type: ignore[attr-defined]
        invited = through.objects.filter(
            **{f"{model._meta.model_name}_id": OuterRef("pk"), "organisation_id__in": ids}
        )
        shown |= Q(published=True, access=Access.INVITED) & Q(Exists(invited))
        shown |= Q(organisation_id__in=ids)
    return found.filter(shown)
