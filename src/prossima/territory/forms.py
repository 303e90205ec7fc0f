"""Forms of the territory pages."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from prossima.territory.models import SubAreaKind

MAX_GEOJSON_BYTES = 20 * 1024 * 1024


class SubAreaUploadForm(forms.Form):
    """Upload a GeoJSON file of sub-areas of a comune."""

    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection of polygons in WGS84 (EPSG:4326), at most 20 MB."),
    )
    kind = forms.ChoiceField(label=_("The areas are"), choices=SubAreaKind.choices)
    code_field = forms.CharField(label=_("Property with the code"), initial="code", max_length=64)
    name_field = forms.CharField(label=_("Property with the name"), initial="name", max_length=64)
    source = forms.CharField(label=_("Source of the file"), required=False, max_length=300)

    def clean_file(self) -> str:
        """Return the file's text, refusing files too large or not UTF-8."""
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_GEOJSON_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        self.cleaned_data["filename"] = upload.name or "upload.geojson"
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("The file is not UTF-8 text (byte %(pos)s); GeoJSON must be UTF-8.")
                % {"pos": exc.start}
            ) from None
