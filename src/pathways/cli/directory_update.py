"""`pathways project update` and `pathways person update`: change what pathways knows of them.

The use cases the web pages and the API call (``services.people.editing``,
``services.people.person_editing``): every refused option is named at once, exit 2, nothing
written. An option left out leaves its field as it is; an empty value ("") clears it.
``--expected-version`` (the ``version`` a ``--json`` update printed, or the API's) refuses the
change when someone edited the project or person since (exit 4, naming who changed what, when).
"""

from __future__ import annotations

from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json

ExpectedVersion = Annotated[
    int | None,
    typer.Option(
        help="The version you read (printed by --json): refused if edited since. Default: no check.",
        min=0,
    ),
]


def project_update(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    siret: Annotated[
        str | None,
        typer.Option(
            help='French SIRET, 14 digits; "" removes it. Makes an idea or emergence project founded.'
        ),
    ] = None,
    bce: Annotated[
        str | None,
        typer.Option(help='Belgian BCE/KBO number, 10 digits; "" removes it. Makes the project founded too.'),
    ] = None,
    legal_form: Annotated[
        str | None, typer.Option(help='association, scic, scop, asbl, ...; "" removes it.')
    ] = None,
    jobs: Annotated[int | None, typer.Option(help="Permanent salaried jobs.", min=0, max=1_000_000)] = None,
    fixed_term_jobs: Annotated[
        int | None, typer.Option(help="Fixed-term jobs.", min=0, max=1_000_000)
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            help="The project lead: a person of the project's organisation (id, handle, e-mail);"
            ' "" for none.'
        ),
    ] = None,
    phase: Annotated[
        str | None,
        typer.Option(
            help="idea, emergence, founded, consolidation, scaling. Default: as it is, or founded when a"
            " SIRET or BCE number is given to a project that had none (an earlier phase given with it is"
            " kept)."
        ),
    ] = None,
    expected_version: ExpectedVersion = None,
    json: Json = False,
) -> None:
    """Change a project: name, identifiers, legal form, jobs, owner, phase."""
    from pathways.services.people import editing

    command = editing.ProjectUpdate(
        project=project,
        name=name,
        siret=siret,
        bce=bce,
        legal_form=legal_form,
        permanent_jobs=jobs,
        fixed_term_jobs=fixed_term_jobs,
        owner=owner,
        phase=phase,
        expected_version=expected_version,
    )
    done = editing.update_project(app_of(ctx), command, by=None)
    if json:
        emit_json(
            {
                "id": done.project_id,
                "changed": list(done.changed),
                "phase": done.phase,
                "phase_from": done.phase_from,
                "version": done.version,
            }
        )
    elif not done.changed:
        console.print(f"project {done.project_id}: nothing to change")
    else:
        moved = f"; phase {done.phase} ({done.phase_from.replace('_', ' ')})" if done.phase_from else ""
        console.print(f"project {done.project_id} updated: {', '.join(done.changed)}{moved}")


def person_update(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Person id, handle or e-mail.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    email: Annotated[str | None, typer.Option(help='E-mail address; "" removes it.')] = None,
    phone: Annotated[str | None, typer.Option(help='Phone number; "" removes it.')] = None,
    lang: Annotated[str | None, typer.Option(help='fr, nl or en; "": the organisation\'s.')] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(help="Apprise URL, replacing the person's channels; repeat for several."),
    ] = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Remove every channel.")] = False,
    expected_version: ExpectedVersion = None,
    json: Json = False,
) -> None:
    """Change a person: name, e-mail, phone, language, channels (checked: no internal host)."""
    from pathways.errors import InvalidInput
    from pathways.services.people import person_editing

    if no_channels and channel:
        raise InvalidInput(
            "--channel and --no-channels contradict each other",
            hint="give one of them",
            code="channels_contradict",
        )
    channels = () if no_channels else (tuple(channel) if channel else None)
    command = person_editing.PersonUpdate(
        person=person,
        name=name,
        email=email,
        phone=phone,
        language=lang,
        channels=channels,
        expected_version=expected_version,
    )
    done = person_editing.update_person(app_of(ctx), command, by=None)
    if json:
        emit_json({"id": done.person_id, "changed": list(done.changed), "version": done.version})
    elif not done.changed:
        console.print(f"person {done.person_id}: nothing to change")
    else:
        console.print(f"person {done.person_id} updated: {', '.join(done.changed)}")
