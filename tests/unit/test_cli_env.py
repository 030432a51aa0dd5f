"""Environment variables stand in for the flags an operator would otherwise repeat on every command:
HELMDECK_ENV (-e), HELMDECK_INSTANCE (--instance), HELMDECK_KUBE_CONTEXT (--kube-context)."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from helmdeck.cli.app import app
from tests.unit.cli_support import run_helmdeck as helmdeck

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"


def test_instance_and_environment_from_the_environment() -> None:
    plain = helmdeck("render", "-f", str(FIXTURE))
    assert plain.returncode == 0 and "release mongo in lab2-services" in plain.stdout  # the file's instance
    lab = helmdeck("render", "-f", str(FIXTURE), HELMDECK_INSTANCE="lab3")
    assert lab.returncode == 0 and "release mongo in lab3-services" in lab.stdout
    wrong = helmdeck("render", "-f", str(FIXTURE), HELMDECK_ENV="nope")
    assert wrong.returncode == 1 and "no environment named 'nope' (known: demo, dev)" in wrong.stderr
    flag_wins = helmdeck("render", "-f", str(FIXTURE), "-e", "dev", HELMDECK_ENV="nope")
    assert flag_wins.returncode == 0, flag_wins.stderr


def test_every_command_taking_the_flags_takes_the_variables() -> None:
    seen = {"--env": 0, "--instance": 0, "--kube-context": 0}
    wanted = {"--env": "HELMDECK_ENV", "--instance": "HELMDECK_INSTANCE", "--kube-context": "HELMDECK_KUBE_CONTEXT"}

    def walk(command: object) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if name != "bundle":  # bundle's -e picks environments to pack, several at once
                walk(sub)
        for param in getattr(command, "params", []):
            for flag, var in wanted.items():
                if flag in getattr(param, "opts", []):
                    seen[flag] += 1
                    assert param.envvar == var, (getattr(command, "name", "?"), flag)

    walk(get_command(app))
    assert all(count > 3 for count in seen.values()), seen
