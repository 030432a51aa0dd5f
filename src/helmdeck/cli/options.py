"""Options every platform command shares, in the groups commands take them in, and the session they open.

Typer builds a command's options from its function's parameters, one by one, and has no notion of a
group. :func:`grouped` gives it one: a parameter annotated with a group (a frozen dataclass of
``Annotated`` Typer options, such as :class:`Where`) stands, in its place, for the group's fields; the
function receives the group's object. The options, their order, help and names are what they would be
if the fields were written out in the command itself."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import typer

from helmdeck.cli.output import Output as Output
from helmdeck.spec import DEFAULT_FILE

if TYPE_CHECKING:
    from helmdeck.app.target import Target
    from helmdeck.core.session import PlatformSession
    from helmdeck.values.set_expressions import SetFlag

PlatformFile = Annotated[Path, typer.Option("-f", "--file", help="The platform file.")]
Env = Annotated[
    str | None, typer.Option("-e", "--env", envvar="HELMDECK_ENV", help="Environment (values overlays) to use.")
]
Kubeconfig = Annotated[
    str | None, typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
]
Context = Annotated[
    str | None,
    typer.Option("--kube-context", "--context", envvar="HELMDECK_KUBE_CONTEXT", help="Kubeconfig context (as helm's)."),
]
ValuesOpt = Annotated[
    list[Path] | None,
    typer.Option("--values", help="Umbrella-style values file ({global: ..., COMPONENT: ...}), above the environment."),
]
InstanceOpt = Annotated[
    str | None,
    typer.Option(
        "--instance",
        envvar="HELMDECK_INSTANCE",
        help="Run as this instance: its namespaces get the prefix (spec.instance).",
    ),
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="COMPONENT.key=value (or global.key=value), as helm --set.")
]
SetStringOpt = Annotated[
    list[str] | None,
    typer.Option("--set-string", help="COMPONENT.key=value, the value always a string (as helm --set-string)."),
]
SetJsonOpt = Annotated[
    list[str] | None,
    typer.Option("--set-json", help="COMPONENT.key=JSON, or a JSON object {COMPONENT: {...}} (as helm --set-json)."),
]
SetFileOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set-file", help="COMPONENT.key=PATH: the file's text as the value (as helm --set-file; relative to cwd)."
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")]


def flag(*names: str, help: str) -> Any:
    """A switch, off unless given: ``live: bool = flag("--live", help="...")``. Typer's default-value
    form, one line a switch where the Annotated form takes three."""
    return typer.Option(False, *names, help=help)


BundleOpt = Annotated[Path | None, typer.Option("--bundle", help="Use an offline bundle instead of -f.")]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Refuse anything that needs the network; images IfNotPresent.")
]
ProvideOpt = Annotated[
    list[str] | None, typer.Option("--provide", help="NAME=PATH: a file the bundle leaves out (secrets).")
]


R = TypeVar("R")


class OptionGroup:
    """Base of the option groups: a frozen dataclass whose fields are ``Annotated`` Typer options
    with their defaults (the group made with no argument is "none of them given")."""


@functools.cache
def _fields(group: Any) -> tuple[inspect.Parameter, ...]:
    """The group's fields as the parameters Typer reads (Annotated kept: it holds the option)."""
    hints = typing.get_type_hints(group, include_extras=True)
    return tuple(
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(group)
    )


def grouped(command: Callable[..., R]) -> Callable[..., R]:
    """``command`` as Typer should see it: each group parameter spread into the group's options."""
    return _Grouped(command)


class _Grouped(Generic[R]):
    """A command whose signature, as Typer reads it, has its group parameters spread. Worked out when
    Typer first asks, for the one command it builds: evaluating every command's annotations on import
    would slow every command's start."""

    def __init__(self, command: Callable[..., R]) -> None:
        functools.update_wrapper(self, command, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
        self.command = command
        # the signature holds the evaluated annotations: Typer needs no other hints
        self.__annotations__ = {}

    @functools.cached_property
    def groups(self) -> dict[str, Any]:
        """The group parameters and their groups."""
        return {
            name: p.annotation
            for name, p in self.written.parameters.items()
            if isinstance(p.annotation, type) and issubclass(p.annotation, OptionGroup)
        }

    @functools.cached_property
    def written(self) -> inspect.Signature:
        """The command's own signature, its annotations evaluated."""
        return inspect.signature(self.command, eval_str=True)

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        # Typer passes every option by keyword: keyword-only parameters keep the order as written
        # whether or not a default comes before a parameter without one
        spread = [
            field
            for p in self.written.parameters.values()
            for field in (_fields(self.groups[p.name]) if p.name in self.groups else (p.replace(kind=p.KEYWORD_ONLY),))
        ]
        names = [p.name for p in spread]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # two groups (or a group and a parameter) naming one option
            raise TypeError(f"{self.command.__name__}: options named twice: {', '.join(twice)}")
        return self.written.replace(parameters=spread)

    def __call__(self, **given: Any) -> R:
        for name, group in self.groups.items():
            given[name] = group(**{f.name: given.pop(f.name) for f in dataclasses.fields(group)})
        return self.command(**given)


@dataclass(frozen=True)
class Where(OptionGroup):
    """Which platform: its file (-f) and the instance of it (--instance)."""

    file: PlatformFile = Path(DEFAULT_FILE)
    instance: InstanceOpt = None


@dataclass(frozen=True)
class Cluster(OptionGroup):
    """Which cluster: --kubeconfig and --kube-context."""

    kubeconfig: Kubeconfig = None
    context: Context = None


@dataclass(frozen=True)
class GitValues(OptionGroup):
    """--values and the --set flags whose text can be written out (no --set-file: a file's text
    copied into what is committed to Git would be in the clear)."""

    values: ValuesOpt = None
    set_: SetOpt = None
    set_string: SetStringOpt = None
    set_json: SetJsonOpt = None

    def flags(self) -> list[SetFlag]:
        """Every ``--set*`` expression, in the order Helm applies the flags."""
        return set_flags(self.set_, self.set_string, self.set_json)


@dataclass(frozen=True)
class Values(GitValues):
    """--values and every --set flag, --set-file too."""

    set_file: SetFileOpt = None

    def flags(self) -> list[SetFlag]:
        return set_flags(self.set_, self.set_string, self.set_json, self.set_file)


@dataclass(frozen=True)
class Source(OptionGroup):
    """Where the platform comes from instead of -f: an offline bundle, and what it left out."""

    bundle: BundleOpt = None
    offline: OfflineOpt = False
    provide: ProvideOpt = None


def set_flags(
    set_: list[str] | None,
    set_string: list[str] | None = None,
    set_json: list[str] | None = None,
    set_file: list[str] | None = None,
) -> list[SetFlag]:
    """Every ``--set*`` expression of the command line, in the order Helm applies the flags."""
    given = [("--set", set_), ("--set-string", set_string), ("--set-json", set_json), ("--set-file", set_file)]
    if not any(expressions for _flag, expressions in given):
        return []  # and the expression parser stays unloaded: most commands take none
    from helmdeck.values.set_expressions import SetFlag, in_helm_order

    return in_helm_order(SetFlag(flag, e) for flag, expressions in given for e in expressions or ())


def target(
    where: Where,
    env: str | None = None,
    cluster: Cluster = Cluster(),
    values: GitValues = Values(),
    source: Source = Source(),
) -> Target:
    """What the command's options name, as the application layer takes it."""
    from helmdeck.app.target import Target

    return Target(
        file=where.file,
        bundle=source.bundle,
        provided=tuple(source.provide or ()),
        offline=source.offline,
        environment=env,
        instance=where.instance,
        kubeconfig=cluster.kubeconfig,
        context=cluster.context,
        values=tuple(values.values or ()),
        sets=tuple(values.flags()),
    )


def open_session(
    where: Where, cluster: Cluster = Cluster(), env: str | None = None, values: Values = Values()
) -> PlatformSession:
    """The session on the platform file (no bundle, no environment but the one given)."""
    from helmdeck.app.opening import open_platform

    return open_platform(target(where, env, cluster, values))
