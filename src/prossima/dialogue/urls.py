from django.urls import path

from prossima.dialogue.views import consultations, meetings, notifications, training

app_name = "dialogue"

urlpatterns = [
    path("", consultations.index, name="index"),
    # Consultations and proposals
    path("consultations/new/", consultations.create, name="consultation_new"),
    path("consultations/<slug:slug>/", consultations.detail, name="consultation"),
    path("consultations/<slug:slug>/edit/", consultations.edit, name="consultation_edit"),
    path("consultations/<slug:slug>/documents/", consultations.documents, name="documents"),
    path("consultations/<slug:slug>/propose/", consultations.propose, name="propose"),
    path(
        "consultations/<slug:slug>/proposals.csv", consultations.proposals_csv, name="proposals_csv"
    ),
    path("consultations/<slug:slug>/<int:pk>/", consultations.proposal, name="proposal"),
    path("consultations/<slug:slug>/<int:pk>/support/", consultations.support, name="support"),
    path("consultations/<slug:slug>/<int:pk>/comment/", consultations.comment, name="comment"),
    path("consultations/<slug:slug>/<int:pk>/answer/", consultations.answer, name="answer"),
    path("consultations/<slug:slug>/<int:pk>/withdraw/", consultations.withdraw, name="withdraw"),
    path("consultations/<slug:slug>/<int:pk>/pledge/", consultations.pledge, name="pledge"),
    path("flag/<str:target>/<int:pk>/", consultations.flag, name="flag"),
    # Pledges
    path("projects/<int:project_id>/pledge/", consultations.pledge_project, name="pledge_project"),
    path("pledges/", consultations.pledges, name="pledges"),
    path("pledges/<int:pk>/decide/", consultations.decide_pledge, name="decide_pledge"),
    path("contributions/", consultations.contributions, name="contributions"),
    # Moderation
    path("moderation/", consultations.moderation, name="moderation"),
    path("moderation/<str:target>/<int:pk>/", consultations.moderate, name="moderate"),
    path("moderation/blocks/", consultations.blocks, name="blocks"),
    # Meetings
    path("meetings/", meetings.index, name="meetings"),
    path("meetings/calendar.ics", meetings.calendar_ics, name="meetings_ics"),
    path("meetings/new/", meetings.create, name="meeting_new"),
    path("meetings/<slug:slug>/", meetings.detail, name="meeting"),
    path("meetings/<slug:slug>/edit/", meetings.edit, name="meeting_edit"),
    path("meetings/<slug:slug>/event.ics", meetings.ics, name="meeting_ics"),
    path("meetings/<slug:slug>/register/", meetings.register, name="meeting_register"),
    path("meetings/<slug:slug>/unregister/", meetings.unregister, name="meeting_unregister"),
    path(
        "meetings/<slug:slug>/registrations/", meetings.registrations, name="meeting_registrations"
    ),
    path("meetings/<slug:slug>/minutes/", meetings.minutes, name="meeting_minutes"),
    path("meetings/<slug:slug>/cancel/", meetings.cancel, name="meeting_cancel"),
    # Training
    path("training/", training.index, name="courses"),
    path("training/new/", training.create, name="course_new"),
    path("training/<slug:slug>/", training.detail, name="course"),
    path("training/<slug:slug>/edit/", training.edit, name="course_edit"),
    path("training/<slug:slug>/enrol/", training.enrol, name="course_enrol"),
    path("training/<slug:slug>/withdraw/", training.withdraw, name="course_withdraw"),
    path("training/<slug:slug>/attendance/", training.attendance, name="course_attendance"),
    path("training/<slug:slug>/certificate.pdf", training.certificate, name="course_certificate"),
    path("certificates/<str:code>/", training.verify, name="certificate_verify"),
    # Notifications
    path("notifications/", notifications.index, name="notifications"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
    path("notifications/settings/", notifications.settings_page, name="notification_settings"),
]
