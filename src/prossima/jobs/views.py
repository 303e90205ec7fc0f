"""The page of a background job: state, progress, duration, error, retry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.jobs.actions import do_fail_stale_jobs, do_retry_job
from prossima.jobs.models import Job


def _job_for(request: HttpRequest, pk: int, perm: str) -> Job:
    job = get_object_or_404(Job.objects.select_related("tenant", "created_by"), pk=pk)
    if not request.user.has_perm(perm, job):
        raise Http404
    return job


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a job; htmx polls the progress fragment while it runs."""
    do_fail_stale_jobs()
    found = _job_for(request, pk, "jobs.view_job")
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/job.html"
    return render(
        request,
        template,
        {"job": found, "can_retry": request.user.has_perm("jobs.retry_job", found)},
    )


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed job again."""
    found = _job_for(request, pk, "jobs.retry_job")
    try:
        do_retry_job(request.user, found)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The job is queued again."))
    return redirect("jobs:job", pk=found.pk)
