"""The ``helmdeck`` entry point and its error boundary.

It imports as little as possible: ``helmdeck --version`` answers before Typer, Rich or any service
is loaded, and the command modules load what they use when a command runs.
"""

from __future__ import annotations

import gc
import os
import sys


def _wants_json(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg in ("-ojson", "--output=json"):
            return True
    return False


def main() -> None:
    """Entry point: user errors print a message and a fix, never a traceback."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from helmdeck import __version__

        sys.stdout.write(f"helmdeck {__version__}\n")
        return
    try:
        _run(argv)
    finally:
        # the process ends here: nothing it made needs collecting. Without this the interpreter's
        # last garbage collection walks every object the imports made (a tenth of a `status`)
        gc.freeze()


def _run(argv: list[str]) -> None:
    from helmdeck.errors import HelmdeckError

    try:
        from helmdeck.cli.app import app_for

        # the CLI's modules live as long as the process: collections while the command runs skip them
        gc.freeze()

        # standalone mode lets Typer print usage errors itself; everything else comes back here
        app_for(argv)(args=argv, prog_name="helmdeck")
    except HelmdeckError as exc:
        from helmdeck.cli.output import err_console
        from helmdeck.secrets.redact import known_redactor

        exc = known_redactor().error(exc)
        if _wants_json(argv):
            import json

            sys.stdout.write(json.dumps(exc.as_dict(), indent=2) + "\n")
        else:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: keep tracebacks out of users' terminals
        import tempfile
        import traceback

        from helmdeck.cli.output import err_console
        from helmdeck.secrets.redact import known_redactor

        fd, path = tempfile.mkstemp(prefix="helmdeck-crash-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            traceback.print_exc(file=fh)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {known_redactor().text(str(exc))}\n"
            f"  details were written to {path}; please report them.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
