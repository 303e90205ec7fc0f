from django.contrib import admin

from prossima.territory.models import Comune, Province, Region, SubArea


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    exclude = ("boundary", "boundary_simplified")


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "abbreviation", "region")
    exclude = ("boundary", "boundary_simplified")


@admin.register(Comune)
class ComuneAdmin(admin.ModelAdmin):
    list_display = ("istat_code", "name", "province", "population")
    search_fields = ("name", "istat_code", "cadastral_code")
    exclude = ("boundary", "boundary_simplified")
    list_select_related = ("province",)


@admin.register(SubArea)
class SubAreaAdmin(admin.ModelAdmin):
    list_display = ("comune", "kind", "code", "name")
    exclude = ("boundary", "boundary_simplified")
    raw_id_fields = ("comune",)
