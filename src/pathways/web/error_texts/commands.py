"""The words of the errors about a command's options, the files it reads and writes, and messages.

Options are named as they are typed (``--lang``, ``--format``) in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pathways.web.error_texts.words import Said, Words

WORDS: Final[Mapping[str, Words]] = {
    "lang_unsupported": lambda t, p: Said(
        t("--lang %(lang)s is not a language of pathways.", lang=p["lang"]),
        t("Use one of %(langs)s.", langs=p["langs"]),
    ),
    "format_unknown": lambda t, p: Said(
        t("--format %(format)s is not known.", format=p["format"]),
        t("Use one of %(formats)s.", formats=p["formats"]),
    ),
    "format_needs_out": lambda t, p: Said(
        t("--format %(format)s writes a file.", format=p["format"]), t("Give --out FILE.")
    ),
    "json_or_csv": lambda t, _: Said(t("Choose one of --json and --csv.")),
    "png_charts": lambda t, _: Said(
        t("Charts are no longer written as PNG."), t("Use --svg FILE or --pdf FILE.")
    ),
    "initiatives_no_period": lambda t, _: Said(
        t("Initiatives are published as they stand now: --from and --to do not apply.")
    ),
    "export_unknown": lambda t, p: Said(
        t("“%(what)s” cannot be exported.", what=p["what"]), t("Use one of %(tables)s.", tables=p["tables"])
    ),
    "export_format": lambda t, p: Said(
        t(
            "“%(what)s” is exported as %(formats)s, not %(format)s.",
            what=p["what"],
            formats=p["formats"],
            format=p["format"],
        )
    ),
    "channels_contradict": lambda t, _: Said(
        t("--channel and --no-channels contradict each other."), t("Give one of them.")
    ),
    "holidays_with_options": lambda t, _: Said(
        t("--option cannot go with --extra-holidays or --clear-extra-holidays."),
        t("Change the options and the days off in two commands."),
    ),
    "holidays_both": lambda t, _: Said(
        t("--extra-holidays and --clear-extra-holidays cannot go together."),
        t("Give the full new list with --extra-holidays, or only --clear-extra-holidays."),
    ),
    "nothing_to_change": lambda t, _: Said(
        t("Nothing to change."),
        t("Give --extra-holidays (repeat it), --clear-extra-holidays or --option."),
    ),
    "map_pair": lambda t, p: Said(
        t("--map %(pair)s: expected OLD=NEW.", pair=p["pair"]), t("For example --map intake=welcome.")
    ),
    "stage_mapped_twice": lambda t, p: Said(
        t(
            "Stage “%(stage)s” is mapped twice (%(first)s and %(second)s).",
            stage=p["stage"],
            first=p["first"],
            second=p["second"],
        )
    ),
    "not_a_role": lambda t, p: Said(
        t("--to %(role)s is not a role.", role=p["role"]), t("Use one of %(roles)s.", roles=p["roles"])
    ),
    "not_a_folder": lambda t, p: Said(
        t("%(path)s is not a folder.", path=p["path"]), t("Give a folder for --output.")
    ),
    "no_password": lambda t, _: Said(
        t("No password given."), t("Use --password-stdin, or run in a terminal to be asked.")
    ),
    "now_ahead": lambda t, p: Said(
        t(
            "--now %(now)s is more than 24 h ahead of the clock (%(clock)s): a change recorded then would "
            "lock cases or send real messages; nothing was written.",
            now=p["now"],
            clock=p["clock"],
        ),
        t(
            "Give a time at most 24 h ahead, or simulate on a copy of the database with "
            "PATHWAYS_SIMULATION=true (refused when PATHWAYS_ENVIRONMENT=production)."
        ),
    ),
    "file_unreadable": lambda t, p: Said(
        t("Cannot read %(path)s: %(reason)s.", path=p["path"], reason=p["reason"])
    ),
    "file_not_utf8": lambda t, p: Said(
        t("%(path)s: line %(line)s is not UTF-8 text.", path=p["path"], line=p["line"]),
        t("Save the file as CSV UTF-8 (in LibreOffice or Excel: “CSV UTF-8”)."),
    ),
    "file_empty": lambda t, p: Said(
        t("%(path)s is empty.", path=p["path"]), t("The first line names the columns.")
    ),
    "csv_unclosed": lambda t, p: Said(
        t("%(path)s: line %(line)s cannot be read as CSV.", path=p["path"], line=p["line"]),
        t('Look for a quote (") opened on this line and never closed.'),
    ),
    "workers_too_few": lambda t, p: Said(
        t("There must be at least 1 worker, not %(workers)s.", workers=p["workers"])
    ),
    "message_not_found": lambda t, p: Said(
        t("There is no message %(job)s.", job=p["job"]),
        t("`pathways messages --failed` lists the messages that could not be sent."),
    ),
    "message_retry_forbidden": lambda t, p: Said(
        t("Your role does not allow sending message %(job)s again.", job=p["job"])
    ),
    "message_not_retryable": lambda t, p: Said(
        t(
            "Message %(job)s is %(status)s: only failed or dead messages are sent again by hand.",
            job=p["job"],
            status=p["status"],
        )
    ),
    "message_person_gone": lambda t, p: Said(
        t("Person %(person)s no longer exists or was erased.", person=p["person"])
    ),
}
"""The codes of the errors about options, files and messages, and their words."""
