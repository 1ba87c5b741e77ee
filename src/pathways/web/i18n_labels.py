"""Labels of values that pages show (statuses, roles, kinds…), translated per language.

A template writes ``{{ value | label("role") }}``; an unknown value shows as itself. Each text is
written as a gettext call here so `pybabel extract` finds it; add new values the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def labels(tr: Any) -> Mapping[str, Mapping[str, str]]:
    """Every group of labels in the language of `tr` (a babel Translations)."""
    _ = tr.gettext
    pgettext = tr.pgettext
    return {
        "cases_title": {
            "all": _("Cases of my organisations"),
            "mine": _("My cases"),
        },
        "chart": {
            "funnel": _("Funnel: projects per phase reached"),
            "outcomes": _("Case outcomes"),
            "overdue": _("Overdue items (days late)"),
            "stages": _("Time in stage (median, 90th percentile)"),
            "workload": _("Open cases per officer"),
        },
        "dir_field": {  # the fields of a project or a person, as their forms and histories name them
            "bce": _("BCE/KBO number"),
            "channels": _("Channels"),
            "email": _("Email"),
            "fixed_term_jobs": _("Fixed-term jobs"),
            "language": _("Language of messages"),
            "legal_form": _("Legal form"),
            "name": _("Name"),
            "owner": _("Project lead"),
            "owner_id": _("Project lead"),
            "permanent_jobs": _("Permanent salaried jobs"),
            "phase": _("Phase"),
            "phone": _("Phone"),
            "siret": "SIRET",
        },
        "dir_lang": {
            "en": _("English"),
            "fr": _("French"),
            "nl": _("Dutch"),
        },
        "error": {
            "401": _("Login required"),
            "403": _("Not allowed"),
            "404": _("Not found"),
            "409": _("Refused"),
            "410": _("Link expired"),
            "422": _("Invalid input"),
            "429": _("Too many attempts"),
            "500": _("Server error"),
            "back": _("Back"),
            "home": _("Home"),
        },
        "event": {
            "case_opened": _("Case opened"),
            "case_spawned": _("Child case opened"),
            "committee_agenda": _("On the committee agenda"),
            "decision": _("Decision"),
            "document_rendered": _("Document produced"),
            "message_retried": _("Message retried"),
            "owner_documents_sent": _("Documents sent by the project lead"),
            "owner_meeting_confirmed": _("Meeting confirmed by the project lead"),
            # The answers the shipped pathways ask of project leads (their `ask_owner`).
            "owner_diagnosis_validated": _("Diagnosis accepted by the project lead"),
            "owner_board_approved": _("Board approval announced by the project lead"),
            "owner_agenda_sent": _("Transfer agenda sent by the project lead"),
            "owner_review_sent": _("Review sent by the project lead"),
            "owner_registration_sent": _("Proof of registration sent by the project lead"),
            "owner_figures_sent": _("Latest figures sent by the project lead"),
            "owner_model_kit_sent": _("Model kit sent by the project lead"),
            "owner_annual_report_sent": _("Annual report sent by the project lead"),
            # ... and those of the programmes of issue 24 (Fabrique, incubation, VISES, ACES).
            "owner_business_plan_sent": _("Feasibility study and business plan sent by the project lead"),
            "owner_application_sent": _("Application sent by the project lead"),
            "owner_evidence_sent": _("Evaluation evidence sent by the project lead"),
            "owner_articles_sent": _("Draft articles of association sent by the project lead"),
            "project_identified": _("Project registered"),
            "owner_link_renewed": _("Project lead's personal link renewed"),
            "phase_changed": _("Project phase"),
            # A cooperation case's members and shares (services.casework.cooperation, .sharing).
            "case_member_added": _("Member project added"),
            "case_member_removed": _("Member project removed"),
            "case_share_offered": _("Sharing offered to a partner organisation"),
            "case_share_accepted": _("Sharing accepted by the partner organisation"),
            "case_share_withdrawn": _("Sharing withdrawn"),
            "note_added": _("Note added"),
            "attachment_added": _("File attached"),
            "case_assigned": _("Case reassigned"),
        },
        "failed_kind": {
            "digest": _("digest"),
            "message": _("message"),
        },
        "failed_status": {
            "dead": _("dead-lettered"),
            "failed": _("failing, will be retried"),
        },
        "field_error": {
            "above_max": _("The maximum is %(max)s."),
            "sort_key": _("“%(value)s” is not a sort offered here: choose one of %(allowed)s."),
            "below_min": _("The minimum is %(min)s."),
            "choice": _("Choose one of the options offered."),
            "channel_refused": _(
                "This channel leads to an internal address (%(reason)s): give the person's own address."
            ),
            "channel_url": _("'%(url)s' is not a channel address, such as mailto://name@example.org."),
            "channels_max": _("At most %(max)s channels."),
            "control_chars": _("Remove the tabs and line breaks."),
            "email": _("Enter an e-mail address, such as name@example.org."),
            "email_taken": _("Another person of this organisation has this e-mail address already."),
            "date": _("Enter a valid date (YYYY-MM-DD)."),
            "identifier_bce": _(
                "This company number (BCE/KBO) is not valid: "
                "10 digits starting with 0 or 1, including check digits."
            ),
            "identifier_siren": _("This SIREN number is not valid: 9 digits, including a check digit."),
            "identifier_siret": _("This SIRET number is not valid: 14 digits, including a check digit."),
            "identifier_taken": _("Another project of this organisation has this number already."),
            "invalid": _("Invalid value."),
            "item": _("Line %(item)s: %(text)s"),
            "number": _("Enter a number, such as 12.50."),
            "out_of_range": _("This number is out of range."),
            "owner": _("No one of this project's organisation matches: add the person first."),
            "owner_ambiguous": _("Several people match: choose one in the list."),
            "person": _("No one in your organisation matches '%(value)s': choose someone from the list."),
            "phone": _("Enter a phone number, such as +32 2 123 45 67."),
            "required": _("This field is required."),
            "text": _("Enter a text."),
            "too_long": _("%(length)s characters: %(max)s at most."),
            "whole_number": _("Enter a whole number, such as 4."),
            "yes_no": _("Choose yes or no."),
        },
        "phase": {
            "auto": _("Automatic"),
            "auto_hint": _("Founded if a SIRET or BCE number is given, else idea."),
            "consolidation": _("Consolidation"),
            "emergence": _("Emergence"),
            "founded": _("Founded"),
            "idea": _("Idea"),
            "scaling": _("Scaling"),
        },
        "role": {
            "admin": _("Administrator"),
            "auditor": _("Auditor"),
            "committee": _("Support committee"),
            "consultant": _("Consultant"),
            "manager": _("Manager"),
            "officer": _("Officer"),
            "operator": _("Operator"),
            "owner": _("Project lead"),
            "resource": _("Resource person"),
        },
        "status": {
            "all": _("All"),
            "closed": _("Closed"),
            "open": _("Open"),
        },
        "case_link": {
            "handed_off_from": _("Handed off from"),
            "handed_off_to": _("Handed off to"),
            "parent": _("Opened from"),
            "child": _("Child case"),
        },
        "work_done": {
            "note": _("Note added to the timeline."),
            "meeting": _("Meeting report added to the timeline."),
            "attachment": _("File attached."),
        },
        "notice": {  # what a message of a case was (services.messaging)
            "reminder": _("Reminder"),
            "escalation": _("Escalation"),
            "message": _("Message"),
        },
        "job_status": {  # where a message stands in the outbox
            "pending": _("waiting to be sent"),
            "sending": _("being sent"),
            "done": _("sent"),
            "failed": _("failing, will be retried"),
            "dead": _("not delivered"),
            "cancelled": _("cancelled"),
        },
        "template": {  # the messages of config/templates, by their purpose
            "reminder": _("Reminder"),
            "escalation": _("Escalation"),
            "digest": _("Daily digest"),
            "intake_documents": _("Documents to send"),
            "board_approval": _("Board approval"),
            "committee_agenda": _("Committee agenda"),
            "diagnosis_validation": _("Diagnosis to validate"),
            "transfer_review": _("Transfer review"),
            "cooperation_agreement": _("Cooperation agreement due"),
            "cooperation_review": _("Cooperation review"),
        },
        "field_type": {  # the kinds of value a stage collects (domain.spec.FieldType)
            "text": _("text"),
            "integer": _("whole number"),
            "decimal": _("number"),
            "date": _("date"),
            "choice": _("choice"),
            "boolean": _("yes or no"),
            "money": _("amount"),
            "siren": _("SIREN number"),
            "siret": _("SIRET number"),
            "bce": _("BCE/KBO number"),
            "person": _("person"),
            "list": _("list"),
        },
        "member_role": {  # a project's part in a cooperation case (services.casework.cooperation)
            "lead": _("lead"),
            "member": _("member"),
        },
        "share_status": {  # a case shared with a partner organisation (services.casework.sharing)
            "offered": _("offered, awaiting the partner's consent"),
            "shared": _("shared on both consents"),
            "withdrawn": _("withdrawn"),
        },
        "rule": {  # a programme rule that refused a decision (domain.programme.CHECKS), said in one sentence
            "diagnosis_eligibility": _(
                "The diagnosis is for structures of an eligible legal form with at least one salaried job."
            ),
            "plan_without_mission": _(
                "A support plan without a consulting mission must hold internal actions or referrals."
            ),
            "board_approval_recorded": _(
                "The structure's governing body must approve before the action starts."
            ),
            "consultant_answer_within_week": _(
                "Consultants say within 7 days of the brief whether they bid, and the chosen proposal "
                "arrives by the brief's deadline."
            ),
            "resource_person_yearly_cap": _("A resource person takes at most two transfers a calendar year."),
            "transfer_within_three_months": _(
                "A transfer lasts 1 to 3 days, held within 3 months of its validation."
            ),
            "transfer_topics_allowed": _("Legal questions and network animation are not transfer topics."),
            "topic_outside_usual_business": _(
                "The topic must not be the usual business of the resource person's structure."
            ),
            "ptce_eligibility": _(
                "This edition is for the 2021 emerging PTCE laureates and the charter's signatories."
            ),
            "proven_model": _(
                "Only a proven model is replicated: record the project's impact evaluation first."
            ),
            "replication_readiness": _(
                "Only a proven model is replicated: a pilot running for at least a year, economic "
                "viability and an impact evaluation (an evaluation case ended with its impact shown, "
                "or qualitative evidence)."
            ),
            "cohort_dates": _("A cohort ends after it starts."),
        },
        "yes_no": {
            "True": _("Yes"),
            "False": _("No"),
        },
        "timeline": {
            "closed": pgettext("timeline", "Closed"),
            "decision": _("Decision"),
            "document": _("Document"),
            "entered": _("Stage entered"),
            "event": _("Event"),
            "message": _("Message"),
            "opened": _("Opened"),
            "note": _("Note"),
            "meeting": _("Meeting report"),
            "attachment": _("Attachment"),
            "assigned": _("Reassigned"),
        },
    }
