"""Two tenants side by side for the isolation tests: Bologna and Modena, each with its data.

Every restricted object of a tenant carries the tenant's marker in a text field, so a
page that leaks Modena's rows to Bologna's staff shows ``MODENA-SECRET`` somewhere.
Objects are written with the models where an action would need files or a job run;
the rows are the same ones the actions write.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from prossima.accounts.actions import do_add_membership, do_create_organisation
from prossima.accounts.models import Organisation, OrganisationKind, Role, User

MODENA_MARKER = "MODENA-SECRET"
BOLOGNA_MARKER = "BOLOGNA-OWN"


@dataclass
class Tenant:
    """One comune as a tenant: its organisations, its staff and its restricted objects."""

    marker: str
    comune: Any
    org: Organisation
    police: Organisation
    community: Organisation
    users: dict[str, User] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def mark(self, kind: str) -> str:
        """Return the marker of one kind of object, e.g. ``MODENA-SECRET-report``."""
        return f"{self.marker}-{kind}"


def _user(org: Organisation, role: str, name: str) -> User:
    # No password: the tests log in with force_login, and hashing one is slow.
    user = User.objects.create_user(username=name, email=f"{name.lower()}@example.org")
    do_add_membership(None, org, user, role)
    return user


def _square(lon: float, lat: float, d: float = 0.002) -> str:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def build_tenant(comune: Any, city: str, marker: str) -> Tenant:
    """Create a comune tenant with its police, staff and one restricted object of each kind."""
    from prossima.incidents.actions import do_install_report_categories

    do_install_report_categories()
    org = do_create_organisation(
        None, name=f"Comune di {city}", kind=OrganisationKind.COMUNE, comune=comune
    )
    police = do_create_organisation(
        None, name=f"Polizia Locale di {city}", kind=OrganisationKind.POLICE_COMMAND, parent=org
    )
    community = do_create_organisation(
        None, name=f"Rete di quartiere di {city}", kind=OrganisationKind.COMMUNITY, comune=comune
    )
    t = Tenant(marker=marker, comune=comune, org=org, police=police, community=community)
    low = city.lower()
    t.users = {
        "administrator": _user(org, Role.ADMINISTRATOR, f"{marker}-admin-{low}"),
        "manager": _user(org, Role.MANAGER, f"{marker}-manager-{low}"),
        "analyst": _user(police, Role.ANALYST, f"{marker}-analyst-{low}"),
        "officer": _user(police, Role.OFFICER, f"{marker}-officer-{low}"),
        "social_worker": _user(org, Role.SOCIAL_WORKER, f"{marker}-social-{low}"),
        "volunteer": _user(community, Role.CITIZEN, f"{marker}-volunteer-{low}"),
    }
    lon, lat = comune.centroid_lon, comune.centroid_lat
    _incidents(t, lon, lat)
    _reports(t, lon, lat)
    _analytics(t, lon, lat)
    _policing(t, lon, lat)
    _interventions(t)
    _inclusion(t, lon, lat)
    _assets(t)
    _counterfeit(t, lon, lat)
    _practices(t)
    _dialogue(t)
    _jobs(t)
    _accounts(t)
    return t


def _accounts(t: Tenant) -> None:
    from prossima.accounts.actions import do_issue_api_token
    from prossima.accounts.models import Membership
    from prossima.reports.models import ResearchRequest

    token, raw = do_issue_api_token(t.users["analyst"], t.mark("token"))
    t.objects.update(
        api_token=token,
        api_token_raw=raw,
        membership=Membership.objects.get(user=t.users["manager"], organisation=t.org),
        research=ResearchRequest.objects.create(
            requester=t.users["analyst"],
            organisation=t.org,
            title=t.mark("research"),
            purpose=t.mark("research-text"),
            indicators=["incidents_top5"],
            years=[2024],
            level="region",
        ),
    )


def _incidents(t: Tenant, lon: float, lat: float) -> None:
    from prossima.incidents.actions import do_create_dataset
    from prossima.incidents.models import Import, Incident

    dataset = do_create_dataset(
        t.users["analyst"], t.org, name=t.mark("dataset"), description=t.mark("dataset-text")
    )
    upload = Import.objects.create(
        dataset=dataset,
        filename=f"{t.mark('import')}.csv",
        sha256="0" * 64,
        file_format="generic",
        status="done",
    )
    start = dt.datetime(2024, 3, 1, 22, tzinfo=dt.UTC)
    incidents = [
        Incident.objects.create(
            tenant=t.org,
            dataset=dataset,
            first_import=upload,
            source_category=t.mark("incident"),
            occurred_from=start + dt.timedelta(days=i),
            time_resolution="hour",
            lon=lon + i * 0.001,
            lat=lat + i * 0.001,
            area_label=t.mark("incident-area"),
            source_kind=dataset.source_kind,
            fingerprint=f"{t.marker}-{i}",
        )
        for i in range(5)
    ]
    t.objects.update(dataset=dataset, import_=upload, incident=incidents[0])


def _reports(t: Tenant, lon: float, lat: float) -> None:
    from prossima.incidents.actions import do_set_report_routing, do_submit_report
    from prossima.incidents.models import ReportCategory

    category = ReportCategory.objects.get(code="spaccio")
    do_set_report_routing(None, t.org, category, t.police)
    report, token = do_submit_report(
        None,
        category=category,
        title=t.mark("report"),
        description=t.mark("report-text"),
        lon=lon,
        lat=lat,
    )
    assert report.tenant_id == t.org.pk, "the report lands in its comune's tenant"
    assert report.routed_to_id == t.police.pk
    t.objects.update(report=report, report_token=token)


def _analytics(t: Tenant, lon: float, lat: float) -> None:
    from prossima.analytics.models import AnalysisRun, RunLayer
    from prossima.jobs.models import Job

    job = Job.objects.create(kind="analytics.run", tenant=t.org, status=Job.Status.DONE)
    run = AnalysisRun.objects.create(
        job=job,
        tenant=t.org,
        dataset=t.objects["dataset"],
        kind="hotspots",
        version=1,
        dataset_version=1,
        params={"note": t.mark("run")},
        summary={"note": t.mark("run-summary")},
        finished_at=timezone.now(),
    )
    point = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": t.mark("layer")},
    }
    RunLayer.objects.create(
        run=run,
        name="gistar",
        content=json.dumps({"type": "FeatureCollection", "features": [point]}),
        features=1,
    )
    t.objects["run"] = run


def _policing(t: Tenant, lon: float, lat: float) -> None:
    from prossima.policing.models import Beat, BeatPlan, PatrolBox, PatrolPlan, Visit

    plan = BeatPlan.objects.create(
        tenant=t.org,
        name=t.mark("beatplan"),
        version=1,
        n_beats=1,
        crs="EPSG:32632",
        finished_at=timezone.now(),
    )
    beat = Beat.objects.create(
        plan=plan, number=1, geometry=_square(lon, lat), cells=1, workload=1.0, compactness=1.0
    )
    now = timezone.now()
    patrol = PatrolPlan.objects.create(
        beat=beat, shift_start=now, shift_end=now + dt.timedelta(hours=6)
    )
    box = PatrolBox.objects.create(
        plan=patrol,
        order=1,
        cell_id="250m_E1_N1",
        geometry=_square(lon, lat, 0.001),
        lon=lon,
        lat=lat,
        score=1.0,
        planned_minutes=30,
    )
    visit = Visit.objects.create(
        box=box,
        officer=t.users["officer"],
        arrived_at=now,
        minutes=15,
        problems=t.mark("visit"),
    )
    t.objects.update(beatplan=plan, beat=beat, patrol=patrol, box=box, visit=visit)


def _interventions(t: Tenant) -> None:
    from prossima.interventions.actions import do_create_project

    project = do_create_project(
        t.users["manager"],
        t.org,
        title=t.mark("project"),
        kind="requalification",
        area=_square(t.comune.centroid_lon, t.comune.centroid_lat),
        start_date=dt.date(2024, 1, 1),
        description=t.mark("project-text"),
        dataset=t.objects["dataset"],
    )
    t.objects["project"] = project
    t.objects["step"] = project.checklist.first()


def _inclusion(t: Tenant, lon: float, lat: float) -> None:
    from prossima.inclusion.models import (
        AreaIndicator,
        AuditCampaign,
        IndicatorUpload,
        Referral,
        SafetyAudit,
        Service,
    )
    from prossima.territory.models import SubArea

    subarea = SubArea.objects.create(
        comune=t.comune,
        kind="neighbourhood",
        code="Q1",
        name="Quartiere uno",
        boundary=_square(lon, lat, 0.01),
        boundary_simplified=_square(lon, lat, 0.01),
        min_lon=lon - 0.01,
        min_lat=lat - 0.01,
        max_lon=lon + 0.01,
        max_lat=lat + 0.01,
        centroid_lon=lon,
        centroid_lat=lat,
    )
    upload = IndicatorUpload.objects.create(
        tenant=t.org, filename=f"{t.mark('indicators')}.csv", created_by=t.users["analyst"]
    )
    AreaIndicator.objects.create(
        tenant=t.org, subarea=subarea, code="unemployment", value=0.12, upload=upload
    )
    campaign = AuditCampaign.objects.create(
        tenant=t.org,
        title=f"Passeggiata {t.comune.name}",
        date=dt.date(2024, 5, 1),
        created_by=t.users["manager"],
    )
    audit = SafetyAudit.objects.create(
        campaign=campaign,
        lon=lon,
        lat=lat,
        lighting=1,
        openness=2,
        visibility=2,
        people=1,
        security=1,
        walk_path=2,
        public_transport=2,
        gender_usage=1,
        feeling=1,
        note=t.mark("audit"),
    )
    service = Service.objects.create(
        tenant=t.org,
        provider=t.community,
        name=f"Officina dei mestieri {t.comune.name}",
        kind="training",
        target_groups=["youth"],
        accepts_referrals=True,
    )
    referral = Referral.objects.create(
        tenant=t.org,
        service=service,
        case_code=t.mark("case")[:20],
        age_band="14_17",
        target_group="youth",
        reason=t.mark("referral"),
        referrer=t.users["social_worker"],
        referrer_organisation=t.org,
    )
    t.objects.update(
        subarea=subarea,
        indicator_upload=upload,
        audit_campaign=campaign,
        audit=audit,
        service=service,
        referral=referral,
    )


def _assets(t: Tenant) -> None:
    from prossima.assets.models import (
        Asset,
        AssetImport,
        Concession,
        PendingRow,
        ReuseCall,
        ReuseProposal,
    )

    asset = Asset.objects.create(
        code=f"{t.comune.istat_code}-DEMO-1",
        kind="real_estate",
        comune=t.comune,
        stage="handed_over",
        handed_over_on=dt.date(2023, 1, 1),
        notes=t.mark("asset-notes"),
    )
    call = ReuseCall.objects.create(
        asset=asset,
        title=t.mark("call"),
        description=t.mark("call-text"),
        closes_on=dt.date(2030, 1, 1),
    )
    proposal = ReuseProposal.objects.create(
        asset=asset,
        call=call,
        title=t.mark("reuse"),
        description=t.mark("reuse-text"),
        beneficiaries="Famiglie",
        contact_name=t.mark("proposer"),
        contact_email=f"{t.marker.lower()}-proposer@example.org",
    )
    source = AssetImport.objects.create(
        filename=f"{t.mark('assetimport')}.csv",
        file_kind="destined",
        organisation=t.org,
        imported_by=t.users["manager"],
    )
    pending = PendingRow.objects.create(
        source=source,
        line=2,
        code=f"{t.comune.istat_code}-DEMO-2",
        reason="comune",
    )
    concession = Concession.objects.create(
        asset=asset,
        holder=t.mark("holder"),
        holder_kind="cooperative",
        act_reference="Determina 1",
        subject="Uso sociale",
        purpose="social",
        starts_on=dt.date(2023, 2, 1),
        duration_months=24,
        ends_on=dt.date(2025, 2, 1),
        project_title=t.mark("concession"),
        goals=t.mark("goals"),
        beneficiaries="Famiglie",
    )
    t.objects.update(
        asset=asset,
        call=call,
        proposal=proposal,
        asset_import=source,
        pending=pending,
        concession=concession,
    )


def _counterfeit(t: Tenant, lon: float, lat: float) -> None:
    from prossima.counterfeit.models import Campaign, ProductAlert, SeizedGoods, Seizure

    seizure = Seizure.objects.create(
        tenant=t.org,
        reference=t.mark("seizure-ref")[:60],
        seized_on=dt.date(2024, 6, 1),
        unit=f"Reparto {t.comune.name}",
        comune=t.comune,
        place_type="street",
        lon=lon,
        lat=lat,
        outcome="destroyed",
        notes=t.mark("seizure"),
        recorded_by=t.users["officer"],
    )
    SeizedGoods.objects.create(
        seizure=seizure,
        category="toys",
        quantity=10,
        nature="counterfeit",
    )
    campaign = Campaign.objects.create(
        tenant=t.org,
        topic=f"Campagna {t.comune.name}",
        audience="general",
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2024, 2, 1),
        created_by=t.users["manager"],
    )
    alert = ProductAlert.objects.create(
        number=f"DEMO/{t.comune.istat_code}",
        source="local",
        published_on=dt.date(2024, 1, 1),
        notifying_country="Italia",
        product_name=f"Giocattolo {t.comune.name}",
        category="toys",
        risk_level="serious",
        description="Parti piccole.",
        organisation=t.org,
    )
    t.objects.update(seizure=seizure, cf_campaign=campaign, alert=alert)


def _practices(t: Tenant) -> None:
    from prossima.practices.actions import do_create_practice
    from prossima.practices.models import Practice, PracticeDocument

    practice = do_create_practice(
        t.users["manager"],
        t.org,
        title=t.mark("practice"),
        summary=t.mark("practice-text"),
        problems=["furto-abitazione"],
        intervention_types=["social"],
    )
    # The slug comes from the title; a neutral one keeps the marker out of addresses.
    Practice.objects.filter(pk=practice.pk).update(slug=f"pratica-{t.comune.istat_code}")
    practice.refresh_from_db()
    document = PracticeDocument.objects.create(
        practice=practice, title=t.mark("document"), file="practices/none.pdf", size=1
    )
    t.objects.update(practice=practice, document=document)


def _dialogue(t: Tenant) -> None:
    from prossima.dialogue import models as d

    today = timezone.localdate()
    consultation = d.Consultation.objects.create(
        organisation=t.org,
        comune=t.comune,
        title=t.mark("consultation"),
        slug=f"consultazione-{t.comune.istat_code}",
        summary=t.mark("consultation-text"),
        scope=d.Scope.COMUNE,
        access=d.Access.MEMBERS,
        published=True,
    )
    consultation.phases.create(
        kind=d.PhaseKind.PROPOSALS,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=9),
    )
    proposal = d.Proposal.objects.create(
        consultation=consultation,
        author=t.users["volunteer"],
        title=t.mark("dproposal"),
        body=t.mark("dproposal-text"),
        state=d.ContentState.PENDING,
    )
    comment = d.Comment.objects.create(
        proposal=proposal,
        author=t.users["volunteer"],
        body=t.mark("comment"),
    )
    pledge = d.Pledge.objects.create(
        organisation=t.community,
        pledged_by=t.users["volunteer"],
        proposal=proposal,
        kind=d.PledgeKind.VOLUNTEERING,
        hours=10,
        description=t.mark("pledge"),
    )
    now = timezone.now()
    meeting = d.Meeting.objects.create(
        organisation=t.org,
        title=t.mark("meeting"),
        slug=f"riunione-{t.comune.istat_code}",
        kind=d.MeetingKind.WORKSHOP,
        summary=t.mark("meeting-text"),
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=2),
        access=d.Access.MEMBERS,
        published=True,
    )
    registration = d.Registration.objects.create(
        meeting=meeting, user=t.users["officer"], state=d.RegistrationState.CONFIRMED
    )
    course = d.Course.objects.create(
        organisation=t.org,
        title=t.mark("course"),
        slug=f"corso-{t.comune.istat_code}",
        summary=t.mark("course-text"),
    )
    notification = d.Notification.objects.create(
        recipient=t.users["volunteer"],
        kind=d.NotificationKind.COMMENT,
        event="comment_reply",
        params={"title": t.mark("notification")},
        url=f"/dialogue/consultations/{consultation.slug}/",
    )
    t.objects.update(
        consultation=consultation,
        dproposal=proposal,
        comment=comment,
        pledge=pledge,
        meeting=meeting,
        registration=registration,
        course=course,
        notification=notification,
    )


def _jobs(t: Tenant) -> None:
    from prossima.jobs.models import Job

    t.objects["job"] = Job.objects.create(
        kind="incidents.import",
        tenant=t.org,
        created_by=t.users["analyst"],
        status=Job.Status.FAILED,
        message=t.mark("job"),
        error=t.mark("job-error"),
    )
