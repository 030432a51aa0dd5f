"""The ``helmdeck`` entry point and its error boundary.

It imports as little as possible: ``helmdeck --version`` answers before Typer, Rich or any service
is loaded, and the command modules load what they use when a command runs.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from helmdeck.gc_policy import collect_less_often
from helmdeck.malloc_policy import fewer_malloc_arenas

if TYPE_CHECKING:
    from helmdeck.errors import HelmdeckError


def _data_format(argv: list[str]) -> str | None:
    """json or yaml when -o asks for data: an error is then printed as data too."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg in ("-o", "--output") and i + 1 < len(argv) else None
        value = arg.removeprefix("--output=") if arg.startswith("--output=") else value
        value = arg[2:] if arg.startswith("-o") and len(arg) > 2 else value
        if value in ("json", "yaml"):
            return value
    return None


def main() -> None:
    """Entry point: user errors print a message and a fix, never a traceback."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from helmdeck import __version__

        sys.stdout.write(f"helmdeck {__version__}\n")
        return
    collect_less_often()
    fewer_malloc_arenas()
    try:
        _run(argv)
    finally:
        # the process ends here: nothing it made needs collecting. Without this the interpreter's
        # last garbage collection walks every object the imports made (a tenth of a `status`)
        gc.freeze()


#: flags taken wherever they stand on the command line, as helm takes its global flags
_ANYWHERE = ("--debug", "--no-color")


def _global_flags(argv: list[str]) -> tuple[list[str], set[str]]:
    """``argv`` without the flags of ``_ANYWHERE`` (up to a ``--``), and the ones found."""
    end = argv.index("--") if "--" in argv else len(argv)
    found = {a for a in argv[:end] if a in _ANYWHERE}
    return [a for a in argv[:end] if a not in _ANYWHERE] + argv[end:], found


def _run(argv: list[str]) -> None:
    from helmdeck.errors import HelmdeckError

    argv, flags = _global_flags(argv)
    debug = "--debug" in flags
    from helmdeck.cli.library_noise import quiet_libraries

    quiet_libraries(debug=debug)
    if "--no-color" in flags:
        os.environ["NO_COLOR"] = "1"  # Rich reads it when the consoles are made, on first import
    if debug:
        argv = ["--verbose", *argv]

    try:
        from helmdeck.cli.app import app_for

        # the CLI's modules live as long as the process: collections while the command runs skip them
        gc.freeze()

        if os.environ.get("_HELMDECK_COMPLETE"):  # the completion script asks for candidates
            from helmdeck.cli.app import enable_completion

            enable_completion()
        # standalone mode lets Typer print usage errors itself; everything else comes back here
        app_for(argv)(args=argv, prog_name="helmdeck")
    except HelmdeckError as exc:
        _report_error(exc, argv)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: keep tracebacks out of users' terminals
        _report_crash(exc, debug)


def _report_error(exc: HelmdeckError, argv: list[str]) -> NoReturn:
    """A helmdeck error, redacted: as data when the command's output is JSON or YAML, else one line."""
    from helmdeck.cli.output import err_console
    from helmdeck.secrets.redact import known_redactor

    exc = known_redactor().error(exc)
    data_format = _data_format(argv)
    if data_format == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(exc.as_dict(), sort_keys=False))
    elif data_format == "json":
        import json

        sys.stdout.write(json.dumps(exc.as_dict(), indent=2) + "\n")
    else:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    sys.exit(exc.exit_code)


def _report_crash(exc: Exception, debug: bool) -> NoReturn:
    """A bug: its traceback goes to a file (and with --debug the console), the user sees one line.

    Called while ``exc`` is being handled, so ``traceback`` finds it."""
    import tempfile
    import traceback

    from helmdeck.cli.output import err_console
    from helmdeck.secrets.redact import known_redactor

    fd, path = tempfile.mkstemp(prefix="helmdeck-crash-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        traceback.print_exc(file=fh)
    if debug:  # asked for: the traceback on the console too (secrets redacted)
        err_console.print(known_redactor().text(traceback.format_exc()), highlight=False, markup=False)
    err_console.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {known_redactor().text(str(exc))}\n"
        f"  details were written to {path}; please report them.",
        highlight=False,
    )
    sys.exit(70)


if __name__ == "__main__":
    main()
