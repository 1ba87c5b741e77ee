"""The tour in README.md, pasted into a shell: every command exits 0, on whatever day it runs.

The commands are read from the README (the ``sh`` block under "## A tour"), so the test
follows the text: continuation lines are joined, comments and the virtualenv's
``activate`` left out, and each command is run by ``bash`` with the real ``pathways``
executable first on the PATH, in a temporary PATHWAYS_HOME, from the repository's root
(the tour's ``config/``). A ``name=$(...)`` line runs the same way and keeps its value
for the commands after it, as the shell that a reader pastes into would.

It runs once on an empty database (``pathways init``) and once on the demo data
(``pathways init --demo``, as ``make run`` leaves it): the tour's names must not collide
with the demo's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)=\$\((.*)\)")


def tour_commands(readme: str, heading: str = "## A tour") -> list[str]:
    """The commands of the README's first ``sh`` block under `heading`, continuations joined."""
    section = readme.split(f"\n{heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert block is not None, f"README.md: no ```sh block under '{heading}'"
    commands: list[str] = []
    pending = ""
    for line in block.group(1).splitlines():
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        command, pending = pending.strip(), ""
        if command and not command.startswith("#") and command != ". .venv/bin/activate":
            commands.append(command)
    return commands


def test_the_tour_is_read_from_the_readme() -> None:
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 5
    assert all(c.startswith("pathways ") or ASSIGNMENT.fullmatch(c) for c in commands), commands
    assert not any(c.endswith("\\") or "\n" in c for c in commands)


def _bin_dir(tmp_path: Path) -> Path:
    """A folder with the `pathways` executable: this interpreter's console script, else a shim."""
    installed = Path(sys.executable).parent / "pathways"
    if installed.exists():
        return installed.parent
    shim = tmp_path / "bin" / "pathways"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pathways "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return shim.parent


def _environment(home: Path, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATH": os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "NO_COLOR": "1",
    }
    return env


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None, "the tour is shell: bash is needed to run it"
    return subprocess.run(
        [bash, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.mark.parametrize("init", [["init"], ["init", "--demo"]], ids=["empty", "demo"])
def test_every_command_of_the_readme_tour_exits_0(init: list[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _environment(home, _bin_dir(tmp_path))
    done = _bash(" ".join(["pathways", *init]), env)
    assert done.returncode == 0, done.stdout + done.stderr
    for command in tour_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        assigned = ASSIGNMENT.fullmatch(command)
        # `x=$(cmd)` exits with cmd's status; print the value to keep it for what follows
        script = f'{command}\nprintf %s "${assigned.group(1)}"' if assigned else command
        done = _bash(script, env)
        output = f"$ {command}\n{done.stdout}\n{done.stderr}"
        assert done.returncode == 0, f"exited {done.returncode}:\n{output}"
        assert "Traceback" not in done.stdout + done.stderr, output
        if assigned:
            assert done.stdout.strip(), f"{assigned.group(1)} is empty:\n{output}"
            env[assigned.group(1)] = done.stdout.strip()
    history = _bash('pathways case history "$ref" --json', env)
    assert history.returncode == 0, history.stdout + history.stderr
    assert "relevant" in history.stdout  # the decision of the tour was recorded


def test_the_readme_messages_section_delivers_to_the_mailbox(tmp_path: Path) -> None:
    """After the tour, "Trying messages safely": the mailbox in the background gets what dispatch sends.

    The block's ports are swapped for free ones (tests run side by side); `export` lines set the
    environment of the commands after them, as in the reader's shell.
    """
    from mailcatch import free_port

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ports = {"1025": str(free_port()), "8025": str(free_port())}
    home = tmp_path / "home"
    home.mkdir()
    env = _environment(home, _bin_dir(tmp_path))
    assert _bash("pathways init", env).returncode == 0
    background: list[subprocess.Popen[str]] = []
    try:
        for written in [*tour_commands(readme), *tour_commands(readme, "### Trying messages safely")]:
            command = written
            for usual, free in ports.items():
                command = command.replace(f"127.0.0.1:{usual}", f"127.0.0.1:{free}")
            bare = command.split("  #")[0].rstrip()
            if bare.endswith(" &"):
                argv = [*bare[:-2].split(), "--smtp-port", ports["1025"], "--web-port", ports["8025"]]
                background.append(
                    subprocess.Popen(
                        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    )
                )
                _wait_for_page(f"http://127.0.0.1:{ports['8025']}/mails.json")
                continue
            if command.startswith("export "):
                name, _, value = command.removeprefix("export ").partition("=")
                env[name] = value
                continue
            assigned = ASSIGNMENT.fullmatch(command)
            script = f'{command}\nprintf %s "${assigned.group(1)}"' if assigned else command
            done = _bash(script, env)
            output = f"$ {command}\n{done.stdout}\n{done.stderr}"
            assert done.returncode == 0, f"exited {done.returncode}:\n{output}"
            assert "Traceback" not in done.stdout + done.stderr, output
            if assigned:
                env[assigned.group(1)] = done.stdout.strip()
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['8025']}/mails.json", timeout=5) as page:
            mails = json.loads(page.read())
    finally:
        for proc in background:
            proc.terminate()
            proc.wait(timeout=10)
    recipients = {to for mail in mails for to in mail["recipients"]}
    assert recipients == {"ines@example.org", "jonas@example.org"}, mails
    owner = [m for m in mails if m["recipients"] == ["ines@example.org"]]
    assert owner
    assert all("Bonjour Ines Diallo" in m["text"] for m in owner)


def _wait_for_page(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not answer within 30 s"
            time.sleep(0.1)
