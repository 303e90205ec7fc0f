from typing import Any

from django.contrib import admin

from prossima.dialogue.models import Block, Consultation, Course, Flag, Meeting, Pledge, Proposal


class LookUpOnly(admin.ModelAdmin):
    """Let administrators look things up; every change goes through the pages' actions,
    which check permissions, notify people and write the audit log."""

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(LookUpOnly):
    list_display = ("title", "organisation", "scope", "access", "published", "created_at")
    list_filter = ("scope", "access", "published", "is_illustrative")
    search_fields = ("title", "slug", "summary")


@admin.register(Proposal)
class ProposalAdmin(LookUpOnly):
    list_display = ("title", "consultation", "state", "answer", "support_count", "created_at")
    list_filter = ("state", "answer", "is_illustrative")
    search_fields = ("title", "body")


@admin.register(Pledge)
class PledgeAdmin(LookUpOnly):
    list_display = ("organisation", "kind", "amount_eur", "hours", "state", "public")
    list_filter = ("kind", "state", "public")


@admin.register(Flag)
class FlagAdmin(LookUpOnly):
    list_display = ("reason", "proposal", "comment", "decision", "created_at")
    list_filter = ("reason", "decision")


@admin.register(Block)
class BlockAdmin(LookUpOnly):
    list_display = ("user", "organisation", "reason", "created_at", "lifted_at")


@admin.register(Meeting)
class MeetingAdmin(LookUpOnly):
    list_display = ("title", "organisation", "kind", "starts_at", "state", "published")
    list_filter = ("kind", "state", "published")
    search_fields = ("title", "slug")


@admin.register(Course)
class CourseAdmin(LookUpOnly):
    list_display = ("title", "organisation", "published", "enrolment_open", "created_at")
    list_filter = ("published",)
    search_fields = ("title", "slug")
