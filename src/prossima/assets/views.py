"""Pages of the asset registry: the comune's office, the national view, the public list."""

from __future__ import annotations

import csv
import io
import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.assets import actions, agency, dcat, queries
from prossima.assets.actions import (
    ImportRefusedError,
    accepts_proposals,
    do_create_asset,
    do_create_call,
    do_decide_call,
    do_discard_pending,
    do_end_concession,
    do_grant_concession,
    do_import_assets,
    do_publish_call,
    do_record_report,
    do_record_stage,
    do_resolve_pending,
    do_set_direct_use,
    do_set_proposal_status,
    do_submit_proposal,
    do_update_asset,
    open_call,
)
from prossima.assets.forms import (
    AssetForm,
    CallForm,
    ConcessionForm,
    DirectUseForm,
    EndConcessionForm,
    MappingForm,
    NewAssetForm,
    OutcomeForm,
    ProposalForm,
    ReportForm,
    StageForm,
    UploadForm,
)
from prossima.assets.models import (
    STAGE_DATE_FIELD,
    AlertKind,
    Asset,
    AssetImport,
    CallStatus,
    Concession,
    PendingRow,
    ProposalStatus,
    ReuseCall,
    ReuseProposal,
    Stage,
)
from prossima.incidents import ratelimit
from prossima.territory.models import Comune, Region
from prossima.web.forms import add_validation_errors

SESSION_KEY = "asset_uploads"
MAX_UPLOAD_MB = 50  # the agency's national files are a few MB
PREVIEW_ROWS = 5


def _tenant_for(request: HttpRequest, slug: str, perm: str) -> Organisation:
    tenant = get_object_or_404(
        Organisation.objects.select_related("comune"), slug=slug, kind=OrganisationKind.COMUNE
    )
    if tenant.comune is None or not request.user.has_perm(perm, tenant.comune):
        raise Http404
    return tenant


def _asset_for(request: HttpRequest, pk: int, perm: str = "assets.view_asset") -> Asset:
    asset = get_object_or_404(Asset.objects.select_related("comune__province"), pk=pk)
    if not request.user.has_perm(perm, asset.comune):
        raise Http404
    return asset


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- The comune's asset office -------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the registries of the comuni the user works for."""
    tenants = [
        {"tenant": t, "dashboard": queries.dashboard(t)}
        for t in queries.tenants_with_assets(request.user)
    ]
    return render(
        request,
        "assets/index.html",
        {"tenants": tenants, "sees_national": request.user.has_perm("assets.view_national")},
    )


@login_required
def registry(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a comune's registry: counts, alerts, pending rows and the list of assets."""
    tenant = _tenant_for(request, slug, "assets.view_asset")
    assert tenant.comune is not None
    stage = request.GET.get("stage", "")
    alert = request.GET.get("alert", "")
    stage = stage if stage in Stage.values else ""
    alert = alert if alert in AlertKind.values else ""
    return render(
        request,
        "assets/registry.html",
        {
            "tenant": tenant,
            "dashboard": queries.dashboard(tenant),
            "assets": queries.registry_of(tenant.comune, stage, alert),
            "stage": stage,
            "alert": alert,
            "stages": Stage.choices,
            "alert_kinds": AlertKind.choices,
            "can_manage": request.user.has_perm("assets.manage_asset", tenant.comune),
        },
    )


@login_required
def asset_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an asset by hand."""
    tenant = _tenant_for(request, slug, "assets.manage_asset")
    assert tenant.comune is not None
    form = NewAssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        stage = data.pop("stage")
        stage_date = data.pop("stage_date")
        if stage_date is not None:
            data[STAGE_DATE_FIELD[stage]] = stage_date
        try:
            asset = do_create_asset(request.user, tenant.comune, stage=stage, **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Asset %(code)s added.") % {"code": asset.code})
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_form.html", {"form": form, "tenant": tenant})


@login_required
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an asset's description, location or condition."""
    found = _asset_for(request, pk, "assets.manage_asset")
    form = AssetForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            do_update_asset(request.user, Asset.objects.get(pk=found.pk), **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("assets:asset", pk=found.pk)
    return render(request, "assets/asset_form.html", {"form": form, "asset": found})


@login_required
def asset(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an asset: its record, stages, concessions, reports, alerts, calls and proposals."""
    found = _asset_for(request, pk)
    can_manage = request.user.has_perm("assets.manage_asset", found.comune)
    on = actions.today()
    concessions = list(found.concessions.prefetch_related("reports"))
    calls = list(found.calls.prefetch_related("proposals"))
    return render(
        request,
        "assets/asset.html",
        {
            "asset": found,
            "can_manage": can_manage,
            "sees_proposals": request.user.has_perm("assets.view_proposal", found.comune),
            "stages": [
                (value, label, found.stage_date(value), _reached(found, value))
                for value, label in Stage.choices
            ],
            "alerts": found.alerts.filter(cleared_on__isnull=True),
            "concessions": [(c, c.in_force(on)) for c in concessions],
            "calls": [(c, OutcomeForm(call=c, prefix=f"call{c.pk}")) for c in calls],
            "proposals": found.proposals.select_related("call"),
            "stage_form": StageForm(asset=found) if found.stage != Stage.HANDED_OVER else None,
            "use_form": DirectUseForm(
                initial={"since": found.direct_use_since, "use": found.current_use}
            ),
            "concession_form": ConcessionForm(),
            "report_form": ReportForm(),
            "call_form": CallForm(),
            "end_form": EndConcessionForm(),
            "handed_over": found.stage == Stage.HANDED_OVER,
            "open_call": open_call(found),
        },
    )


def _reached(asset: Asset, stage: str) -> bool:
    return Stage.values.index(stage) <= Stage.values.index(asset.stage)


@login_required
@require_POST
def asset_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the next stage of an asset."""
    found = _asset_for(request, pk, "assets.manage_asset")
    form = StageForm(request.POST, asset=found)
    if form.is_valid():
        try:
            do_record_stage(
                request.user,
                found,
                form.cleaned_data["stage"],
                form.cleaned_data["on"],
                decree_number=form.cleaned_data["decree_number"],
                recipient=form.cleaned_data["recipient"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Stage recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("assets:asset", pk=found.pk)


@login_required
@require_POST
def asset_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (or stop) the comune's own use of an asset."""
    found = _asset_for(request, pk, "assets.manage_asset")
    if request.POST.get("stop"):
        do_set_direct_use(request.user, found, None, "")
        messages.success(request, _("The asset is no longer used directly by the comune."))
        return redirect("assets:asset", pk=found.pk)
    form = DirectUseForm(request.POST)
    if form.is_valid():
        try:
            do_set_direct_use(
                request.user, found, form.cleaned_data["since"], form.cleaned_data["use"]
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Use recorded."))
    else:
        messages.error(request, _("Give the date and the use."))
    return redirect("assets:asset", pk=found.pk)


@login_required
def concession_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant a handed-over asset to a third party."""
    found = _asset_for(request, pk, "assets.manage_asset")
    form = ConcessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_grant_concession(request.user, found, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Concession recorded."))
            return redirect("assets:asset", pk=found.pk)
    return render(request, "assets/concession_form.html", {"form": form, "asset": found})


def _concession_for(request: HttpRequest, pk: int) -> Concession:
    concession = get_object_or_404(Concession.objects.select_related("asset__comune"), pk=pk)
    if not request.user.has_perm("assets.manage_asset", concession.asset.comune):
        raise Http404
    return concession


@login_required
@require_POST
def concession_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a concession early."""
    concession = _concession_for(request, pk)
    form = EndConcessionForm(request.POST)
    if form.is_valid():
        try:
            do_end_concession(request.user, concession, form.cleaned_data["on"])
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("The concession is recorded as ended."))
    else:
        messages.error(request, _("Give the date the concession ended."))
    return redirect("assets:asset", pk=concession.asset_id)


@login_required
@require_POST
def report_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a yearly report of a reuse project."""
    concession = _concession_for(request, pk)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            do_record_report(request.user, concession, **form.cleaned_data)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Report recorded."))
    else:
        messages.error(request, _("Give the year, the date received and a summary."))
    return redirect("assets:asset", pk=concession.asset_id)


@login_required
@require_POST
def call_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Prepare or publish a call for reuse proposals."""
    found = _asset_for(request, pk, "assets.manage_asset")
    form = CallForm(request.POST)
    if form.is_valid():
        try:
            do_create_call(request.user, found, **form.cleaned_data)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Call saved."))
    else:
        messages.error(request, _("Give a title, a description and a closing date."))
    return redirect("assets:asset", pk=found.pk)


def _call_for(request: HttpRequest, pk: int) -> ReuseCall:
    call = get_object_or_404(ReuseCall.objects.select_related("asset__comune"), pk=pk)
    if not request.user.has_perm("assets.manage_asset", call.asset.comune):
        raise Http404
    return call


@login_required
@require_POST
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a draft call."""
    call = _call_for(request, pk)
    try:
        do_publish_call(request.user, call)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("The call is public."))
    return redirect("assets:asset", pk=call.asset_id)


@login_required
@require_POST
def call_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a call's outcome."""
    call = _call_for(request, pk)
    form = OutcomeForm(request.POST, call=call, prefix=f"call{call.pk}")
    if form.is_valid():
        try:
            do_decide_call(
                request.user,
                call,
                outcome=form.cleaned_data["outcome"],
                selected=form.cleaned_data["selected"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("The outcome is public."))
    else:
        messages.error(request, _("Write the outcome for the public."))
    return redirect("assets:asset", pk=call.asset_id)


@login_required
@require_POST
def proposal_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Shortlist a proposal, or put it back among those received."""
    proposal = get_object_or_404(ReuseProposal.objects.select_related("asset__comune"), pk=pk)
    if not request.user.has_perm("assets.view_proposal", proposal.asset.comune):
        raise Http404
    try:
        do_set_proposal_status(request.user, proposal, request.POST.get("status", ""))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("assets:asset", pk=proposal.asset_id)


# --- Imports ------------------------------------------------------------------------


def _staging_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads" / "assets"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Receive an agency file and go on to its column mapping."""
    tenant = _tenant_for(request, slug, "assets.manage_asset")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = Path(upload.name or "file.csv").name
        if (upload.size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
            form.add_error(
                "file",
                _("%(file)s is larger than %(mb)s MB.") % {"file": filename, "mb": MAX_UPLOAD_MB},
            )
        elif not filename.lower().endswith((".csv", ".txt")):
            form.add_error(
                "file",
                _("%(file)s: accepted are CSV files (.csv, .txt).") % {"file": filename},
            )
        else:
            token = secrets.token_urlsafe(16)
            path = _staging_dir() / f"{token}.csv"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            uploads = request.session.get(SESSION_KEY, {})
            uploads[token] = {"path": str(path), "filename": filename, "tenant": tenant.pk}
            request.session[SESSION_KEY] = uploads
            return redirect("assets:import_preview", token=token)
    return render(request, "assets/import_upload.html", {"form": form, "tenant": tenant})


@login_required
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """Show the file's first rows and the guessed mapping; on confirmation, import it."""
    staged = request.session.get(SESSION_KEY, {}).get(token)
    if staged is None:
        raise Http404
    tenant = get_object_or_404(Organisation.objects.select_related("comune"), pk=staged["tenant"])
    if tenant.comune is None or not request.user.has_perm("assets.manage_asset", tenant.comune):
        raise Http404
    raw = Path(staged["path"]).read_bytes()
    encoding = request.POST.get("encoding") or "auto"
    header: list[str] = []
    rows: list[list[str]] = []
    error = ""
    try:
        header, rows = agency.read_table(agency.decode(raw, encoding), staged["filename"])
    except (agency.AgencyFileError, UnicodeDecodeError, LookupError) as exc:
        error = str(exc)
    initial: dict[str, Any] = {"encoding": encoding}
    if header:
        initial["file_kind"] = agency.guess_file_kind(header, rows)
        initial.update({f"col_{k}": v for k, v in agency.guess_columns(header).items()})
    form = MappingForm(request.POST or None, header=header, initial=initial)
    problems: list[agency.RowProblem] = []
    if request.method == "POST" and not error and form.is_valid():
        try:
            record = do_import_assets(
                request.user,
                raw=raw,
                filename=staged["filename"],
                file_kind=form.cleaned_data["file_kind"],
                columns=form.columns(),
                scope=[tenant.comune],
                organisation=tenant,
                encoding=form.cleaned_data["encoding"],
            )
        except agency.AgencyFileError as exc:
            error = str(exc)
        except ImportRefusedError as exc:
            error = str(exc)
            problems = exc.problems
        else:
            Path(staged["path"]).unlink(missing_ok=True)
            uploads = request.session.get(SESSION_KEY, {})
            uploads.pop(token, None)
            request.session[SESSION_KEY] = uploads
            return redirect("assets:import_report", pk=record.pk)
    return render(
        request,
        "assets/import_preview.html",
        {
            "tenant": tenant,
            "staged": staged,
            "header": header,
            "rows": rows[:PREVIEW_ROWS],
            "row_count": len(rows),
            "form": form,
            "error": error,
            "problems": problems[:200],
            "more_problems": max(0, len(problems) - 200),
        },
    )


def _import_for(request: HttpRequest, pk: int) -> AssetImport:
    record = get_object_or_404(AssetImport.objects.select_related("organisation__comune"), pk=pk)
    organisation = record.organisation
    if organisation is None or organisation.comune is None:
        if not request.user.is_superuser:
            raise Http404
    elif not request.user.has_perm("assets.view_asset", organisation.comune):
        raise Http404
    return record


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what an import did and the rows waiting to be fixed."""
    record = _import_for(request, pk)
    organisation = record.organisation
    can_fix = bool(
        organisation is not None
        and organisation.comune is not None
        and request.user.has_perm("assets.manage_asset", organisation.comune)
    )
    return render(
        request,
        "assets/import_report.html",
        {
            "record": record,
            "pending": record.pending.select_related("resolved_asset"),
            "can_fix": can_fix,
            "tenant": organisation,
        },
    )


def _pending_for(request: HttpRequest, pk: int) -> PendingRow:
    row = get_object_or_404(
        PendingRow.objects.select_related("source__organisation__comune"), pk=pk
    )
    organisation = row.source.organisation
    if (
        organisation is None
        or organisation.comune is None
        or not request.user.has_perm("assets.manage_asset", organisation.comune)
    ):
        raise Http404
    return row


@login_required
@require_POST
def pending_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a kept-aside row into the importing organisation's comune."""
    row = _pending_for(request, pk)
    comune = row.source.organisation.comune  # type: ignore[union-attr]
    assert comune is not None
    try:
        created = do_resolve_pending(request.user, row, comune)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("Asset %(code)s added to %(comune)s.")
            % {"code": created.code, "comune": comune.name},
        )
    return redirect("assets:import_report", pk=row.source_id)


@login_required
@require_POST
def pending_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a kept-aside row aside for good."""
    row = _pending_for(request, pk)
    organisation = row.source.organisation
    assert organisation is not None
    try:
        do_discard_pending(request.user, row, organisation)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("Row %(line)s discarded.") % {"line": row.line})
    return redirect("assets:import_report", pk=row.source_id)


# --- National view and public list -----------------------------------------------------


def national(request: HttpRequest) -> HttpResponse:
    """Show assets by stage per region and the national map; open alerts for the association."""
    sees_alerts = request.user.has_perm("assets.view_national")
    regions = queries.region_counts()
    totals = [sum(r["cells"][i] for r in regions) for i in range(len(Stage.values))]
    comuni = queries.comune_counts()
    return render(
        request,
        "assets/national.html",
        {
            "regions": regions,
            "totals": totals,
            "grand_total": sum(totals),
            "stages": Stage.choices,
            "comuni": comuni[:100],
            "more_comuni": max(0, len(comuni) - 100),
            "sees_alerts": sees_alerts,
            "alerts": queries.national_alerts()[:500] if sees_alerts else [],
        },
    )


def national_map(request: HttpRequest) -> JsonResponse:
    """Return the comuni with assets as GeoJSON points with their counts."""
    features = []
    for row in queries.comune_counts():
        if row["comune__centroid_lon"] is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [row["comune__centroid_lon"], row["comune__centroid_lat"]],
                },
                "properties": {
                    "istat_code": row["comune__istat_code"],
                    "name": row["comune__name"],
                    "total": row["total"],
                    "listed": row["listed"],
                    "handed_over": row["handed_over"],
                    "idle": row["idle"],
                    "url": reverse("assets:public_comune", args=[row["comune__istat_code"]]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@cache_control(public=True, max_age=86400)
def national_regions(request: HttpRequest) -> HttpResponse:
    """Return the outlines of the regions (simplified), the national map's background."""
    features = [
        f'{{"type":"Feature","properties":{{"name":{json.dumps(name)}}},"geometry":{geometry}}}'
        for name, geometry in Region.objects.exclude(boundary_simplified="").values_list(
            "name", "boundary_simplified"
        )
    ]
    return HttpResponse(
        '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}",
        content_type="application/geo+json",
    )


def _public_comune(istat_code: str) -> Comune:
    return get_object_or_404(
        Comune.objects.select_related("province", "region"), istat_code=istat_code
    )


def public_comune(request: HttpRequest, istat_code: str) -> HttpResponse:
    """Show the public list of a comune's confiscated assets, with its downloads."""
    comune = _public_comune(istat_code)
    assets = list(queries.public_assets(comune))
    on = actions.today()
    rows = [queries.public_row(a, on) for a in assets]
    updated = queries.last_updated(comune)
    return render(
        request,
        "assets/public_comune.html",
        {
            "comune": comune,
            "rows": [
                (a, row, next((c for c in a.concessions.all() if c.in_force(on)), None))
                for a, row in zip(assets, rows, strict=True)
            ],
            "columns": queries.PUBLIC_COLUMNS,
            "last_updated": updated,
            # The law asks for a monthly update.
            "stale": updated is not None and (on - updated.date()).days > 31,
            "in_management": queries.in_management_count(comune),
            "any_illustrative": any(a.is_illustrative for a in assets),
            "points": [
                {
                    "lat": a.lat,
                    "lon": a.lon,
                    "code": a.code,
                    "url": reverse("assets:public_asset", args=[a.code]),
                }
                for a in assets
                if a.lat is not None and a.lon is not None
            ],
            "boundary_url": reverse("api:comune_boundary", args=[comune.istat_code]),
        },
    )


def public_download(request: HttpRequest, istat_code: str, fmt: str) -> HttpResponse:
    """Return a comune's public list as CSV, JSON or GeoJSON, always in Italian.

    Open data must not change with the reader's language: the values are the
    Italian labels, the column names the Italian keys of PUBLIC_COLUMNS.
    """
    with translation.override("it"):
        return _download(istat_code, fmt)


def _download(istat_code: str, fmt: str) -> HttpResponse:
    comune = _public_comune(istat_code)
    assets = list(queries.public_assets(comune))
    doc = queries.public_document(comune)
    rows = doc["beni"]
    updated = queries.last_updated(comune)
    name = f"beni-confiscati-{comune.istat_code}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([key for key, _label in queries.PUBLIC_COLUMNS])
        for row in rows:
            writer.writerow(
                ["" if row[k] is None else row[k] for k, _label in queries.PUBLIC_COLUMNS]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        response = HttpResponse(
            json.dumps(doc, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
    elif fmt == "geojson":
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [a.lon, a.lat]}
                if a.lat is not None and a.lon is not None
                else None,
                "properties": row,
            }
            for a, row in zip(assets, rows, strict=True)
        ]
        response = HttpResponse(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "aggiornato": doc["aggiornato"],
                    "features": features,
                },
                ensure_ascii=False,
            ),
            content_type="application/geo+json; charset=utf-8",
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    if updated is not None:
        response["Last-Modified"] = updated.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


def public_dcat(request: HttpRequest, istat_code: str) -> JsonResponse:
    """Return the DCAT-AP_IT description of a comune's list (JSON-LD)."""
    comune = _public_comune(istat_code)
    return JsonResponse(
        dcat.dataset(request, comune, queries.last_updated(comune)),
        content_type="application/ld+json",
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


def public_catalog(request: HttpRequest) -> JsonResponse:
    """Return the DCAT-AP_IT catalogue of every comune's list (JSON-LD)."""
    return JsonResponse(
        dcat.catalog(request),
        content_type="application/ld+json",
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


def public_asset(request: HttpRequest, code: str) -> HttpResponse:
    """Show one asset's public record, its calls and outcomes, and the proposal form."""
    found = get_object_or_404(
        Asset.objects.select_related("comune"), code=code, stage__in=queries.LISTED_STAGES
    )
    form = ProposalForm(request.POST or None)
    accepting = accepts_proposals(found)
    if request.method == "POST":
        limit = ratelimit.limit_reached(request.user, ratelimit.client_ip(request))
        if limit is not None:
            form.add_error(
                None,
                _("You have sent %(limit)s messages in the last hour; try again later.")
                % {"limit": limit},
            )
        elif form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("consent")
            try:
                do_submit_proposal(request.user, found, **data)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                ratelimit.count_report(request.user, ratelimit.client_ip(request))
                messages.success(
                    request,
                    _(
                        "Thank you: the comune's asset office has your proposal and will "
                        "answer by e-mail."
                    ),
                )
                return redirect("assets:public_asset", code=found.code)
    calls = queries.published_calls(found)
    row = queries.public_row(found)
    return render(
        request,
        "assets/public_asset.html",
        {
            "asset": found,
            "record": [
                (label, row[key])
                for key, label in queries.PUBLIC_COLUMNS
                if key not in ("codice_bene", "illustrativo") and row[key] not in ("", None)
            ],
            "calls": calls,
            "selected": {
                c.pk: [p for p in c.proposals.all() if p.status == ProposalStatus.SELECTED]
                for c in calls
                if c.status == CallStatus.DECIDED
            },
            "open_call": open_call(found),
            "accepting": accepting,
            "form": form,
        },
    )
