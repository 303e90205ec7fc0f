"""API endpoints about the caller and the organisations on the platform."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from prossima.accounts.permissions import memberships_of
from prossima.accounts.queries import organisations_for_directory
from prossima.config.api import AUTHENTICATED

router = Router()


class MembershipOut(Schema):
    organisation: str
    organisation_kind: str
    role: str


class MeOut(Schema):
    username: str
    email: str
    memberships: list[MembershipOut]


class OrganisationOut(Schema):
    slug: str
    name: str
    kind: str
    comune_istat_code: str | None
    parent: str | None
    country: str
    is_demo: bool


@router.get("/me", response=MeOut, auth=AUTHENTICATED, summary="The authenticated user")
def me(request: HttpRequest) -> dict[str, Any]:
    """Return the caller with their organisations and roles."""
    user = request.user
    return {
        "username": user.get_username(),
        "email": getattr(user, "email", ""),
        "memberships": [
            {
                "organisation": m.organisation.slug,
                "organisation_kind": m.organisation.kind,
                "role": m.role,
            }
            for m in memberships_of(user)
        ],
    }


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations")
def organisations(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the public directory of organisations."""
    return [
        {
            "slug": o.slug,
            "name": o.name,
            "kind": o.kind,
            "comune_istat_code": o.comune.istat_code if o.comune else None,
            "parent": o.parent.slug if o.parent else None,
            "country": o.country,
            "is_demo": o.is_demo,
        }
        for o in organisations_for_directory()
    ]
