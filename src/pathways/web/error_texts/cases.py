"""The words of the errors about cases: finding them, deciding, closing, sharing, their pathways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pathways.web.error_texts.words import Said, Words
from pathways.web.i18n import Texts


def _changed_deciding(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("Case %(ref)s was changed by someone else while you decided.", ref=p["ref"]),
        t("Read the case again (`pathways case show %(ref)s`) and decide again.", ref=p["ref"]),
    )


def _changed_closing(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("Case %(ref)s was changed by someone else while you closed it.", ref=p["ref"]),
        t(
            "Read the case again (`pathways case show %(ref)s`) and close it again if it still stands.",
            ref=p["ref"],
        ),
    )


def _before_stage(t: Texts, p: Mapping[str, str], closing: bool) -> Said:
    values = {"at": p["at"], "stage": p["stage"], "entered": p["entered"]}
    said = (
        t(
            "The closing takes effect at %(at)s, before the case entered stage “%(stage)s” (%(entered)s).",
            **values,
        )
        if closing
        else t(
            "The decision takes effect at %(at)s, before the case entered stage “%(stage)s” (%(entered)s).",
            **values,
        )
    )
    return Said(said, t("Check the --now value."))


def _rule(t: Texts, p: Mapping[str, str]) -> Said:
    """A programme rule's refusal: its sentence, as the case page says it, and its details (English)."""
    sentence = t.label("rule", p["rule"])
    if sentence is None:
        raise KeyError(p["rule"])  # a rule without a sentence in the catalogue: said in English
    return Said(sentence, t("Details: %(detail)s", detail=p["detail"]))


def _stage_does_not_ask(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t(
            "Stage “%(stage)s” of case %(ref)s does not ask “%(action)s”.",
            stage=p["stage"],
            ref=p["ref"],
            action=p["action"],
        ),
        t("It asks: %(asks)s.", asks=p["asks"]),
    )


WORDS: Final[Mapping[str, Words]] = {
    "case_not_found": lambda t, p: Said(
        t("There is no case “%(ref)s”.", ref=p["ref"]),
        t("Case references look like DIAG-2026-0001; `pathways due` lists the cases due."),
    ),
    "case_not_found_here": lambda t, p: Said(
        t("There is no case “%(ref)s”.", ref=p["ref"]),
        t("Case references look like DIAG-2026-0001; only cases of your organisations can be found."),
    ),
    "pathway_not_found": lambda t, p: Said(
        t("There is no pathway “%(pathway)s”.", pathway=p["pathway"]),
        t("Known pathways: %(known)s.", known=p["known"]),
    ),
    "pathway_version_not_found": lambda t, p: Said(
        t("Pathway “%(pathway)s” has no version %(version)s.", pathway=p["pathway"], version=p["version"]),
        t("Its versions: %(versions)s.", versions=p["versions"]),
    ),
    "pathway_unpublished": lambda t, p: Said(
        t("Pathway “%(pathway)s” has no published version.", pathway=p["pathway"]),
        t("`pathways pathway list` lists the pathways; publish files with `pathways pathway publish`."),
    ),
    "pathway_version_unpublished": lambda t, p: Said(
        t(
            "Pathway “%(pathway)s” has no published version %(version)s.",
            pathway=p["pathway"],
            version=p["version"],
        ),
        t("Its versions: %(versions)s.", versions=p["versions"]),
    ),
    "pathway_wrong_phase": lambda t, p: Said(
        t(
            "Project “%(project)s” is at phase “%(phase)s”, but pathway “%(pathway)s” is for projects at: "
            "%(phases)s.",
            project=p["project"],
            phase=p["phase"],
            pathway=p["pathway"],
            phases=p["phases"],
        ),
        t("Update the project's phase if it is out of date, or choose another pathway."),
    ),
    "case_change_forbidden": lambda t, p: Said(
        t("Your role does not allow changing case %(ref)s.", ref=p["ref"])
    ),
    "case_closed": lambda t, p: Said(
        t("The case is closed (%(result)s): no decision can be recorded.", result=p["result"]),
        t("Open a new case to support the project again."),
    ),
    "not_an_outcome": lambda t, p: Said(
        t("“%(outcome)s” is not an outcome of stage “%(stage)s”.", outcome=p["outcome"], stage=p["stage"]),
        t("Choose one of: %(outcomes)s.", outcomes=p["outcomes"]),
    ),
    "rule_refused": _rule,
    "case_changed_deciding": _changed_deciding,
    "case_changed_closing": _changed_closing,
    "case_changed_migrating": lambda t, p: Said(
        t("Case %(ref)s changed while it was being migrated: run the migration again.", ref=p["ref"])
    ),
    "decided_before_stage": lambda t, p: _before_stage(t, p, closing=False),
    "closed_before_stage": lambda t, p: _before_stage(t, p, closing=True),
    "case_already_closed": lambda t, p: Said(
        t(
            "Case %(ref)s is already closed (%(result)s): it cannot be closed again.",
            ref=p["ref"],
            result=p["result"],
        ),
        t("Open a new case to support the project again."),
    ),
    "already_closed": lambda t, p: Said(
        t("The case is already closed (%(result)s): it cannot be closed again.", result=p["result"]),
        t("Open a new case to support the project again."),
    ),
    "case_is_closed": lambda t, p: Said(t("Case %(ref)s is closed.", ref=p["ref"])),
    "case_closed_officer": lambda t, p: Said(
        t("Case %(ref)s is closed: its officer can no longer change.", ref=p["ref"]), t("Open cases only.")
    ),
    "case_closed_members": lambda t, p: Said(
        t("Case %(ref)s is closed: its members can no longer change.", ref=p["ref"]), t("Open cases only.")
    ),
    "case_closed_sharing": lambda t, p: Said(
        t("Case %(ref)s is closed: its sharing can no longer change.", ref=p["ref"]), t("Open cases only.")
    ),
    "case_closed_no_stage": lambda t, p: Said(
        t("Case %(ref)s is closed: there is no stage to write about.", ref=p["ref"])
    ),
    "case_reassign_forbidden": lambda t, p: Said(
        t(
            "Case %(ref)s is in a colleague's charge: a manager of its organisation may give it to "
            "another officer.",
            ref=p["ref"],
        ),
        t("Ask a manager, or the officer in charge."),
    ),
    "officer_not_found_here": lambda t, p: Said(
        t("There is no officer or manager “%(person)s” in the case's organisation.", person=p["person"]),
        t("Work on a case is recorded for one of its organisation's officers or managers."),
    ),
    "officer_not_in_org": lambda t, p: Said(
        t("“%(person)s” is neither an officer nor a manager of this organisation.", person=p["person"])
    ),
    "document_not_found": lambda t, p: Said(
        t("Case %(ref)s has no document %(document)s.", ref=p["ref"], document=p["document"]),
        t("`pathways case documents %(ref)s` lists them.", ref=p["ref"]),
    ),
    "attachment_not_found": lambda t, p: Said(
        t("Case %(ref)s has no attachment %(attachment)s.", ref=p["ref"], attachment=p["attachment"]),
        t("The case page lists its attachments; an erased one cannot be opened."),
    ),
    "collective_not_found": lambda t, p: Said(
        t("There is no collective action “%(ref)s”.", ref=p["ref"]),
        t("`pathways collective list ORG` lists them."),
    ),
    "case_in_collective": lambda t, p: Said(
        t(
            "Case %(ref)s is already in collective action %(collective)s.",
            ref=p["ref"],
            collective=p["collective"],
        ),
        t("Nothing to do."),
    ),
    "case_not_in_collective": lambda t, p: Said(
        t(
            "Case %(ref)s is not in collective action %(collective)s.",
            ref=p["ref"],
            collective=p["collective"],
        ),
        t("`pathways collective show` lists them."),
    ),
    "share_consent_forbidden": lambda t, _: Said(
        t("Only a manager of the organisation records its consent to share a case."),
        t("Ask a manager of your organisation."),
    ),
    "share_consented": lambda t, p: Said(
        t("Your organisation already consented to share case %(ref)s.", ref=p["ref"])
    ),
    "project_no_owner": lambda t, p: Said(
        t("The project of case %(ref)s has no project lead, so no personal link.", ref=p["ref"]),
        t("Set the project's lead first (project sheet, `pathways project update`)."),
    ),
    "stage_does_not_ask": _stage_does_not_ask,
    "takes_no_documents": lambda t, p: Said(
        t("“%(action)s” takes no documents.", action=p["action"]), t("Send them to your support officer.")
    ),
    "migration_same_version": lambda t, p: Said(
        t("--from and --to are both version %(version)s.", version=p["version"]), t("Name two versions.")
    ),
    "evaluation_not_found": lambda t, p: Said(
        t("There is no impact evaluation %(evaluation)s.", evaluation=p["evaluation"]),
        t("`pathways impact show CASE` lists them."),
    ),
    "indicator_not_found": lambda t, p: Said(
        t("There is no impact indicator %(indicator)s.", indicator=p["indicator"]),
        t("`pathways impact show CASE` lists them."),
    ),
    "cohort_not_found": lambda t, p: Said(
        t("There is no cohort “%(ref)s”.", ref=p["ref"]), t("`pathways cohort list` lists the cohorts.")
    ),
}
"""The codes of the errors about cases, and their words."""
