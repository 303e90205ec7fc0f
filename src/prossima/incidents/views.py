"""Incident datasets: list, create, upload with preview, import reports."""

from __future__ import annotations

import csv
from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.incidents import queries
from prossima.incidents.actions import do_create_dataset
from prossima.incidents.forms import DatasetForm, MappingForm, UploadForm
from prossima.incidents.jobs import IMPORT_JOB
from prossima.incidents.models import Dataset, Import
from prossima.incidents.reasons import translate_reason
from prossima.incidents.uploads import (
    StagedFile,
    UploadError,
    max_upload_bytes,
    preview,
    stage_upload,
    staged_to_session,
)
from prossima.jobs.actions import do_enqueue_job

SESSION_KEY = "incident_uploads"


def _dataset_for(request: HttpRequest, pk: int, perm: str) -> Dataset:
    dataset = get_object_or_404(Dataset.objects.select_related("tenant"), pk=pk)
    if not request.user.has_perm(perm, dataset.tenant):
        # The same answer as a missing dataset: ids of other tenants' data reveal nothing.
        raise Http404
    return dataset


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the datasets of every tenant whose incident data the user works on."""
    tenants = [
        (
            tenant,
            queries.datasets_of(tenant),
            request.user.has_perm("incidents.manage_dataset", tenant),
        )
        for tenant in queries.tenants_for(request.user)
    ]
    return render(request, "incidents/index.html", {"tenants": tenants})


@login_required
def dataset_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Create a dataset for a tenant."""
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm("incidents.manage_dataset", tenant):
        raise PermissionDenied
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dataset = do_create_dataset(request.user, tenant, **form.cleaned_data)
        return redirect("incidents:dataset", pk=dataset.pk)
    return render(request, "incidents/dataset_form.html", {"form": form, "tenant": tenant})


@login_required
def dataset(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a dataset, its imports and the upload form; the visit is audited."""
    found = _dataset_for(request, pk, "incidents.view_incident")
    do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        "incidents.dataset",
        found.pk,
        found.name,
        organisation=found.tenant,
        request=request,
    )
    can_manage = request.user.has_perm("incidents.manage_dataset", found.tenant)
    return render(
        request,
        "incidents/dataset.html",
        {
            "dataset": found,
            "imports": queries.imports_of(found),
            "n_incidents": found.incidents.count(),
            "upload_form": UploadForm() if can_manage else None,
            "max_mb": max_upload_bytes() // (1024 * 1024),
        },
    )


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive a file, check it, and show its preview."""
    found = _dataset_for(request, pk, "incidents.manage_dataset")
    # Refuse an oversized body before Django reads it from the network.
    if int(request.META.get("CONTENT_LENGTH") or 0) > max_upload_bytes() + 64 * 1024:
        messages.error(
            request,
            _("The file is larger than %(mb)s MB; split it, for example by year.")
            % {"mb": max_upload_bytes() // (1024 * 1024)},
        )
        return redirect("incidents:dataset", pk=found.pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = " ".join(str(e) for e in form.errors.get("file", []))
        messages.error(request, problems or _("Choose a file to upload."))
        return redirect("incidents:dataset", pk=found.pk)
    try:
        staged = stage_upload(form.cleaned_data["file"], found.pk)
    except UploadError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:dataset", pk=found.pk)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[staged.token] = staged_to_session(staged)
    request.session[SESSION_KEY] = uploads
    return redirect("incidents:preview", token=staged.token)


@login_required
def preview_upload(request: HttpRequest, token: str) -> HttpResponse:
    """Show the detected format and first rows; on confirmation, start the import job."""
    data = request.session.get(SESSION_KEY, {}).get(token)
    if data is None:
        raise Http404
    staged = StagedFile(**data)
    found = _dataset_for(request, staged.dataset_id, "incidents.manage_dataset")
    encoding = request.POST.get("encoding") or request.GET.get("encoding") or "utf-8"
    error = ""
    shown = None
    try:
        shown = preview(staged.path, encoding)
    except (ValueError, UnicodeDecodeError) as exc:
        error = str(exc).replace(staged.path, staged.filename)
    initial = {
        "file_format": shown.file_format if shown else "auto",
        "encoding": encoding,
        **(shown.guessed if shown else {}),
    }
    form = MappingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and not error:
        job = do_enqueue_job(
            request.user,
            IMPORT_JOB,
            {
                "dataset_id": found.pk,
                "path": staged.path,
                "filename": staged.filename,
                "format": form.cleaned_data["file_format"],
                "encoding": form.cleaned_data["encoding"],
                "columns": form.columns(),
            },
            tenant=found.tenant,
        )
        uploads = request.session.get(SESSION_KEY, {})
        uploads.pop(token, None)
        request.session[SESSION_KEY] = uploads
        return redirect("jobs:job", pk=job.pk)
    return render(
        request,
        "incidents/preview.html",
        {
            "dataset": found,
            "staged": staged,
            "preview": shown,
            "form": form,
            "error": error,
            "guessed": asdict(shown) if shown else {},
        },
    )


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an import's report: counts, unmapped categories, the first rejected rows."""
    record = get_object_or_404(Import.objects.select_related("dataset__tenant"), pk=pk)
    if not request.user.has_perm("incidents.view_incident", record.dataset.tenant):
        raise Http404
    lines = record.rejects_csv.splitlines()
    rows = []
    for row in csv.reader(lines[1:101]):
        line, reason, field, value = [*row, "", "", "", ""][:4]
        rows.append([line, translate_reason(reason), field, value])
    return render(
        request,
        "incidents/import.html",
        {"record": record, "rejects": rows, "more_rejects": max(0, len(lines) - 101)},
    )


@login_required
def import_rejects(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the rejected rows of an import as CSV (audited)."""
    record = get_object_or_404(Import.objects.select_related("dataset__tenant"), pk=pk)
    if not request.user.has_perm("incidents.view_incident", record.dataset.tenant):
        raise Http404
    do_record_audit(
        request.user,
        AuditEvent.Action.EXPORT,
        "incidents.import",
        record.pk,
        f"rejects of {record.filename}",
        organisation=record.dataset.tenant,
        request=request,
    )
    response = HttpResponse(record.rejects_csv, content_type="text/csv; charset=utf-8")
    stem = record.filename.split(".")[0] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected-rows.csv"'
    return response
