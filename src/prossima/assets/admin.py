from django.contrib import admin

from prossima.assets.models import Asset, AssetAlert, AssetImport, Concession, ReuseCall


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("code", "comune", "kind", "stage", "is_illustrative")
    list_filter = ("stage", "kind", "is_illustrative")
    search_fields = ("code", "address")
    raw_id_fields = ("comune",)


@admin.register(Concession)
class ConcessionAdmin(admin.ModelAdmin):
    list_display = ("asset", "holder", "starts_on", "ends_on", "ended_early_on")
    raw_id_fields = ("asset",)


@admin.register(AssetAlert)
class AssetAlertAdmin(admin.ModelAdmin):
    list_display = ("asset", "kind", "opened_on", "cleared_on")
    list_filter = ("kind",)


admin.site.register(AssetImport)
admin.site.register(ReuseCall)
