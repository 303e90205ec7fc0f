"""Writes and rules of participation, one module per part: consultations and proposals,
moderation and pledges (``consultations``), meetings (``meetings``), training
(``training``) and notifications (``notifications``)."""
