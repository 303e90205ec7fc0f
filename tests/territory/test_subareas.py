"""Importing the sub-areas of a comune from GeoJSON: all or nothing, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from prossima.accounts.models import OrganisationKind, Role
from prossima.territory.actions import do_import_subareas
from prossima.territory.geometry import GeoJSONError
from prossima.territory.models import SubArea


def square(lon: float, lat: float, d: float = 0.005) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        ],
    }


def collection(*features: tuple[str, str, dict[str, Any]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": g}
                for c, n, g in features
            ],
        }
    )


CENTRE = collection(
    ("Q1", "Santo Stefano", square(11.345, 44.488)),
    ("Q2", "Porto-Saragozza", square(11.325, 44.495)),
)


def test_import_and_reimport_by_code(bologna: Any) -> None:
    result = do_import_subareas(None, bologna, CENTRE, source="test")
    assert (result.created, result.updated) == (2, 0)
    result = do_import_subareas(None, bologna, CENTRE)
    assert (result.created, result.updated) == (0, 2)
    area = SubArea.objects.get(comune=bologna, code="Q1")
    assert area.name == "Santo Stefano"
    assert area.min_lon == pytest.approx(11.345)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"bad\.geojson: not valid JSON at line 1, column 2"),
        ('{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "has no features"),
        (
            collection(("Q1", "A", square(11.345, 44.488)), ("Q1", "B", square(11.33, 44.49))),
            "feature 2: code 'Q1' appears twice",
        ),
        (
            collection(("Q1", "A", {"type": "Point", "coordinates": [11.3, 44.5]})),
            "feature 1: geometry type 'Point' is not accepted",
        ),
        (collection(("Q1", "A", square(686000, 4929000, 100))), "not WGS84 longitude/latitude"),
        (
            collection(("Q1", "A", square(11.345, 44.488)), ("Z9", "Far", square(12.5, 41.9))),
            "1 feature\\(s\\) lie outside Bologna: Z9",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    bologna: Any, text: str, message: str
) -> None:
    with pytest.raises(GeoJSONError, match=message):
        do_import_subareas(None, bologna, text, filename="bad.geojson")
    assert not SubArea.objects.filter(comune=bologna).exists()


def test_missing_code_property_names_the_alternatives(bologna: Any) -> None:
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": "1", "nome": "x"},
                    "geometry": square(11.345, 44.488),
                }
            ],
        }
    )
    with pytest.raises(GeoJSONError, match=r"property 'code'.*available properties: id, nome"):
        do_import_subareas(None, bologna, text)
    result = do_import_subareas(None, bologna, text, code_field="id", name_field="nome")
    assert result.created == 1


def test_only_the_comune_managers_import(bologna: Any, make_org: Any, make_user: Any) -> None:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    with pytest.raises(PermissionDenied):
        do_import_subareas(make_user(comune, Role.ANALYST), bologna, CENTRE)
    do_import_subareas(make_user(comune, Role.MANAGER), bologna, CENTRE)
    assert SubArea.objects.filter(comune=bologna).count() == 2


def test_command_reports_unknown_comune_and_bad_files(tmp_path: Path, db: Any) -> None:
    path = tmp_path / "quartieri.geojson"
    path.write_text(CENTRE, encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown comune code '999999'"):
        call_command("import_subareas", "999999", str(path))
    latin = tmp_path / "latin.geojson"
    latin.write_bytes('{"name": "Forl\xec"}'.encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_subareas", "037006", str(latin))
    call_command("import_subareas", "037006", str(path), verbosity=0)
    assert SubArea.objects.filter(comune__istat_code="037006").count() == 2


def test_web_upload_by_a_manager(client: Any, bologna: Any, make_org: Any, make_user: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    url = f"/comuni/{bologna.istat_code}/subareas/"

    def upload(content: bytes) -> Any:
        return client.post(
            url,
            {
                "file": SimpleUploadedFile("quartieri.geojson", content, "application/geo+json"),
                "kind": "district",
                "code_field": "code",
                "name_field": "name",
                "source": "test",
            },
        )

    client.force_login(make_user(comune, Role.OFFICER))
    assert client.get(bologna.get_absolute_url()).context["upload_form"] is None
    assert upload(CENTRE.encode()).status_code == 403

    client.force_login(make_user(comune, Role.MANAGER))
    assert client.get(bologna.get_absolute_url()).context["upload_form"] is not None
    bad = upload(b"{broken")
    assert bad.status_code == 400
    assert "quartieri.geojson: not valid JSON at line 1" in bad.content.decode()
    assert not SubArea.objects.filter(comune=bologna).exists()
    assert upload("Forl\xec".encode("latin-1")).status_code == 400
    response = upload(CENTRE.encode())
    assert response.status_code == 302
    assert set(SubArea.objects.filter(comune=bologna).values_list("kind", flat=True)) == {
        "district"
    }
    fc = client.get("/api/comuni/037006/subareas").json()
    assert sorted(f["properties"]["code"] for f in fc["features"]) == ["Q1", "Q2"]
