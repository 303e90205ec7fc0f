from django.contrib import admin

from prossima.practices.models import Practice, PracticeReview, PracticeVersion


class PracticeVersionInline(admin.TabularInline):
    model = PracticeVersion
    extra = 0
    fields = ("number", "status", "note", "created_by", "created_at")
    readonly_fields = fields
    can_delete = False


class PracticeReviewInline(admin.TabularInline):
    model = PracticeReview
    extra = 0
    fields = ("decision", "reviewer", "comment", "version", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    # Content changes go through the pages (actions keep versions and the search
    # index); the admin is for looking things up.
    list_display = ("title", "organisation", "status", "rating", "country", "published_at")
    list_filter = ("status", "rating", "country", "language")
    search_fields = ("title", "slug", "summary")
    inlines = [PracticeReviewInline, PracticeVersionInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
