"""``helmdeck bundle``: offline bundles.

    helmdeck bundle [-f platform.yaml] [-e ENV]... --out-file FILE   build one (``bundle create`` is the same)
    helmdeck bundle verify FILE [-o json]                            check every file against its checksum
    helmdeck bundle images FILE [-o json] [-q]                       the images to preload

The group runs its own callback when no subcommand follows, so the short form works and ``create``
stays available for scripts that prefer explicit verbs. ``-o`` is the report's format, as on every
command; the bundle file is ``--out-file``.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from helmdeck.cli.options import PlatformFile, flag
from helmdeck.cli.output import Output, OutputFormat, conclude, console, emit_json, err_console, show
from helmdeck.spec import DEFAULT_FILE
from helmdeck.wording import counted

if TYPE_CHECKING:
    from helmdeck.bundle import BundleResult
    from helmdeck.bundle.verify import Verification

app = typer.Typer()

Envs = Annotated[
    list[str] | None,
    typer.Option("-e", "--env", help="Bundle only this environment (repeat for several; default: all)."),
]
BundleOut = Annotated[Path | None, typer.Option("--out-file", help="The bundle file to write (.tar.gz).")]
Secrets = Annotated[
    list[Path] | None,
    typer.Option("--secret", help="Treat this values file as a secret: leave it out, required at deploy time."),
]
Created = Annotated[
    datetime.datetime | None,
    typer.Option(
        "--created",
        help="Creation time (UTC) recorded in bundle.json (default: $SOURCE_DATE_EPOCH, else now); "
        "fixing it makes the bundle byte-for-byte reproducible.",
    ),
]
BundleFile = Annotated[Path, typer.Argument(help="The bundle (.tar.gz made by helmdeck bundle).")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bundle")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def print_result(result: BundleResult) -> None:
    m = result.manifest
    table = Table(
        title=f"bundle of platform {m.platform}" + (f" ({', '.join(m.environments)})" if m.environments else "")
    )
    for col in ("chart", "version", "used by", "path"):
        table.add_column(col, overflow="fold")
    for c in m.charts:
        table.add_row(c.name, c.version, ", ".join(c.used_by), c.path)
    console.print(table)
    values = sum(1 for f in m.files if f.kind == "values")
    console.print(
        f"{counted(m.files, 'file')} ({counted(values, 'values file')}), {counted(m.images, 'image')} to preload",
        highlight=False,
    )
    for r in m.required:
        err_console.print(
            f"[yellow]left out[/] {r.source} ({r.reason}): provide it at deploy time with "
            f"--provide {r.path.removeprefix('provided/')}=PATH",
            highlight=False,
        )
    for w in m.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(
        f"[green]wrote[/] {result.path}: {_size(result.size)} in {result.seconds:.1f}s\n  sha256 {result.sha256}",
        highlight=False,
    )


def _create(
    file: Path,
    envs: list[str] | None,
    output: Path,
    secrets: list[Path] | None,
    created: datetime.datetime | None,
    fmt: OutputFormat,
) -> None:
    from helmdeck.bundle import create_bundle

    result = create_bundle(file, output, environments=envs or (), secret_files=secrets or (), created=created)
    show(fmt, result, print_result)


@app.callback(invoke_without_command=True)
def bundle(
    ctx: typer.Context,
    file: PlatformFile = Path(DEFAULT_FILE),
    env: Envs = None,
    output: BundleOut = None,
    secret: Secrets = None,
    created: Created = None,
    fmt: Output = OutputFormat.human,
) -> None:
    """Offline bundles: build one (--out-file FILE), verify it, list its images.

    A bundle is one .tar.gz: the platform file, its charts with their dependencies, its values files
    (secrets left out), the images to preload, a manifest and checksums.
    Deploy it with `helmdeck deploy --bundle FILE --offline`.
    """
    if ctx.invoked_subcommand is not None:
        if output is not None or env or secret or created is not None:
            raise typer.BadParameter(
                f"options before '{ctx.invoked_subcommand}' build a bundle; give them after it, or drop them"
            )
        return
    if output is None:
        console.print(ctx.get_help())
        raise typer.Exit(2)
    _create(file, env, output, secret, created, fmt)


@app.command("create")
def create_command(
    output: Annotated[Path, typer.Option("--out-file", help="The bundle file to write (.tar.gz).")],
    file: PlatformFile = Path(DEFAULT_FILE),
    env: Envs = None,
    secret: Secrets = None,
    created: Created = None,
    fmt: Output = OutputFormat.human,
) -> None:
    """Build an offline bundle (the same as `helmdeck bundle --out-file FILE`)."""
    _create(file, env, output, secret, created, fmt)


@app.command("verify")
def verify_command(bundle_file: BundleFile, output: Output = OutputFormat.human) -> None:
    """Check every file of a bundle against its checksum; name each one that differs. Exit code 1 then."""
    from helmdeck.bundle import verify_bundle

    conclude(output, verify_bundle(bundle_file), lambda result: _print_verification(result, bundle_file))


def _print_verification(result: Verification, bundle_file: Path) -> None:
    if result.ok:
        m = result.manifest
        platform = f" (platform {m.platform}, made {m.created} by helmdeck {m.helmdeck_version})" if m else ""
        console.print(f"[green]ok[/]: {bundle_file}: {counted(result.files, 'file')} match their checksums{platform}")
        return
    table = Table(title=f"bundle {bundle_file} failed verification")
    table.add_column("file", overflow="fold")
    table.add_column("problem", overflow="fold")
    for p in result.problems:
        table.add_row(p.path, p.reason)
    console.print(table)
    console.print(f"[bold red]{counted(result.problems, 'problem')}[/]: do not deploy this bundle")


@app.command("images")
def images_command(
    bundle_file: BundleFile,
    output: Output = OutputFormat.human,
    quiet: bool = flag("-q", "--quiet", help="Image references only, one per line."),
) -> None:
    """The container images to preload on the cluster's nodes (the bundle is verified first)."""
    from helmdeck.bundle import read_images

    images = read_images(bundle_file)
    if output is OutputFormat.json:
        emit_json({"images": [i.as_dict() for i in images]})
        return
    if quiet:
        for i in images:
            typer.echo(i.image)
        return
    table = Table(title=f"images of {bundle_file}")
    for col in ("image", "tag", "digest", "components", "environments"):
        table.add_column(col, overflow="fold")
    for i in images:
        table.add_row(
            i.repository, i.tag or "-", i.digest or "-", ", ".join(i.components), ", ".join(i.environments) or "-"
        )
    console.print(table)
