"""Bad command-line values are errors naming the key and the closest component, from every command
that takes them, before any cluster is contacted (the kubeconfig here points nowhere)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"
NOWHERE = "/nonexistent/kubeconfig"

COMMANDS = [
    ["validate"],
    ["render"],
    ["plan", "--kubeconfig", NOWHERE],
    ["deploy", "--kubeconfig", NOWHERE],
    ["doctor", "--kubeconfig", NOWHERE],
]


def helmdeck(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("expression", "message", "fix"),
    [
        ("backnd.replicas=3", "'backnd' is neither `global` nor a component", "did you mean 'backend'?"),
        ("replicas=3", "'replicas' names no component", "write COMPONENT.replicas=..."),
        ("backend.replicas[=7", "'backend.replicas[' is not a value path", "KEY=VALUE"),
    ],
    ids=["typo", "no-component", "helm-would-ignore"],
)
def test_a_bad_set_is_an_error_everywhere(command: list[str], expression: str, message: str, fix: str) -> None:
    run = helmdeck(*command, "-f", str(FIXTURE), "--set", expression)
    assert run.returncode not in (0, 70), run.stderr
    text = " ".join((run.stdout + run.stderr).split())
    assert message in text and fix in text
    assert "Traceback" not in text and "internal error" not in text
    assert "nonexistent" not in text  # never got as far as the cluster


def test_values_command_rejects_what_helm_would_ignore() -> None:
    run = helmdeck("values", "backend", "-f", str(FIXTURE), "--set", "replicas[=7")
    assert run.returncode != 0 and "'replicas[' is not a value path" in run.stderr


def test_a_values_file_section_naming_no_component(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("global: {}\nbakend:\n  replicas: 2\n")
    run = helmdeck("plan", "-f", str(FIXTURE), "--kubeconfig", NOWHERE, "--values", str(extra))
    text = " ".join(run.stderr.split())
    assert run.returncode != 0
    assert f"{extra}: section 'bakend' is neither `global` nor a component" in text
    assert f"{extra}:2" in text and "did you mean 'backend'?" in text


# --- hostile files: no hang, no traceback, no memory blow-up ------------------------------------


def _bounded(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with 2 GiB of address space and 60 s: a blow-up or a hang fails the test."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )


def _alias_bomb(directory: Path) -> Path:
    path = directory / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    path.write_text("backend:\n  " + "\n  ".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: Path("/dev/zero"), "/dev/zero is a device or special file, not a values file"),
        (_alias_bomb, "its aliases expand to more than"),
        (
            lambda d: (
                (d / "deep.yaml").write_text(
                    "backend:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(3000)) + "  " * 3001 + "v: 1\n"
                )
                and d / "deep.yaml"
            ),
            "values nested more than 100 levels deep",
        ),
        (
            lambda d: (d / "dup.yaml").write_text("backend:\n  replicas: 1\n  replicas: 2\n") and d / "dup.yaml",
            "key 'replicas' appears twice in one mapping (lines 2 and 3)",
        ),
        (
            # libyaml's composer recurses per bracket: this once crashed the interpreter (SIGSEGV)
            lambda d: (
                (d / "brackets.yaml").write_text("backend: " + "[" * 30000 + "]" * 30000 + "\n") and d / "brackets.yaml"
            ),
            "values nested more than 100 levels deep",
        ),
    ],
    ids=["dev-zero", "alias-bomb", "3000-deep", "duplicate-key", "30000-brackets"],
)
def test_a_hostile_values_file_is_a_clear_error(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    run = _bounded("validate", "-f", str(FIXTURE), "--values", str(path))
    text = " ".join(run.stderr.split())
    assert run.returncode == 1, text
    assert message in text and "Traceback" not in text


def test_a_fifo_or_a_symlink_loop_as_platform_file(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "platform.yaml"
    os.mkfifo(fifo)
    run = _bounded("validate", "-f", str(fifo))
    assert run.returncode == 1 and "is a named pipe (FIFO), not a platform file" in run.stderr
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    run = _bounded("validate", "-f", str(tmp_path / "a"))
    assert run.returncode == 1 and "the path is a loop of symbolic links" in run.stderr


def test_a_chart_path_that_is_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        "  components:\n    - {name: web, chart: ./a}\n"
    )
    run = _bounded("validate", "-f", str(tmp_path / "platform.yaml"))
    text = " ".join(run.stderr.split())
    assert run.returncode == 1 and "platform.yaml:6:" in text and "a is a loop of symbolic links" in text
    assert "internal error" not in text


def test_files_outside_the_platform_directory_need_allow_outside(tmp_path: Path) -> None:
    import os

    secret = tmp_path / "private-key"
    secret.write_text("not for the cluster\n")
    home = tmp_path / "platform"
    (home / "c").mkdir(parents=True)
    (home / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (home / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        "  secrets:\n    key: {fromFile: ../private-key, into: [web.key]}\n"
        "  components:\n    - {name: web, chart: ./c}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HELMDECK_ALLOW_OUTSIDE"}
    cmd = [sys.executable, "-m", "helmdeck.cli.main"]
    refused = subprocess.run(
        [*cmd, "validate", "-f", str(home / "platform.yaml")], capture_output=True, text=True, env=env, timeout=60
    )
    text = " ".join(refused.stderr.split())
    assert refused.returncode == 1, text
    assert "platform.yaml:6:" in text
    assert "private-key lies outside the platform file's directory" in text and "secret file" in text
    assert "--allow-outside" in text and "not for the cluster" not in text
    allowed = subprocess.run(
        [*cmd, "--allow-outside", "validate", "-f", str(home / "platform.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "lies outside" not in allowed.stdout + allowed.stderr


def _one_chart_platform(home: Path) -> Path:
    (home / "c" / "templates").mkdir(parents=True)
    (home / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    platform = home / "platform.yaml"
    platform.write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        "  components:\n    - {name: web, chart: ./c}\n"
    )
    return platform


def test_a_chart_whose_own_values_are_thousands_deep(tmp_path: Path) -> None:
    platform = _one_chart_platform(tmp_path)
    (tmp_path / "c" / "values.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    for command in (["validate", "-o", "json"], ["render"], ["values", "web"]):
        run = _bounded(*command, "-f", str(platform))
        text = " ".join((run.stdout + run.stderr).split())
        assert run.returncode == 1, (command, text)
        assert "values.yaml: values nested more than 100 levels deep" in text
        assert "internal error" not in text and "Traceback" not in text


def test_a_link_inside_a_chart_to_a_file_outside_needs_allow_outside(tmp_path: Path) -> None:
    import os

    secret = tmp_path / "private-key"
    secret.write_text("not for the cluster\n")
    home = tmp_path / "platform"
    platform = _one_chart_platform(home)
    (home / "c" / "files").mkdir()
    (home / "c" / "files" / "key").symlink_to(secret)
    (home / "c" / "templates" / "cm.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata:\n  key: {{ .Files.Get "files/key" | quote }}\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "HELMDECK_ALLOW_OUTSIDE"}
    cmd = [sys.executable, "-m", "helmdeck.cli.main"]
    for command in (["validate"], ["render"]):
        refused = subprocess.run(
            [*cmd, *command, "-f", str(platform)], capture_output=True, text=True, env=env, timeout=60
        )
        text = " ".join(refused.stderr.split())
        assert refused.returncode == 1, text
        assert "holds a symbolic link files/key to" in text and "--allow-outside" in text
        assert "not for the cluster" not in refused.stdout + refused.stderr
    allowed = subprocess.run(
        [*cmd, "--allow-outside", "render", "-f", str(platform)], capture_output=True, text=True, env=env, timeout=60
    )
    assert allowed.returncode == 0 and "not for the cluster" in allowed.stdout
