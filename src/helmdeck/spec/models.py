"""The platform file (``platform.yaml``) as pydantic models; this schema is the truth.

Field names are snake_case in Python and camelCase in YAML (``fastDataDir``). Relative
paths (charts, values files, secret files, catalogs) are resolved against the platform
file's directory when the loader passes ``{"base_dir": ...}`` as validation context.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from helmdeck.errors import ConfigError, parses
from helmdeck.spec.health_checks import checked_expression
from helmdeck.spec.names import DNS_LABEL, ENV_VAR, ENVIRONMENT, INSTANCE, SECRET, NameRule
from helmdeck.spec.real_paths import RealPaths
from helmdeck.spec.value_paths import split_key

API_VERSION = "helmdeck.dev/v1"
KIND = "Platform"


def _named(rule: NameRule) -> Any:
    return StringConstraints(pattern=f"^{rule.pattern}$", max_length=rule.max_length)


DnsLabel = Annotated[str, _named(DNS_LABEL)]
InstanceName = Annotated[str, _named(INSTANCE)]
EnvironmentName = Annotated[str, _named(ENVIRONMENT)]
SecretName = Annotated[str, _named(SECRET)]
EnvVarName = Annotated[str, _named(ENV_VAR)]

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)(ms|s|m|h))")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration such as ``90s``, ``5m`` or ``1h30m``."""
    if not text or _DURATION.sub("", text) != "":
        raise PydanticCustomError(
            "helmdeck",
            "{message}",
            {"message": f"{text!r} is not a duration", "fix": "write a duration such as 90s, 5m or 1h30m"},
        )
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(text))


#: the longest wait a platform file may ask for: more is a typo, and Go's durations end near 292 years
MAX_DURATION_SECONDS = 24 * 3600.0


def _check_duration(text: str) -> str:
    if parse_duration(text) > MAX_DURATION_SECONDS:
        raise PydanticCustomError(
            "helmdeck",
            "{message}",
            {"message": f"{text!r} is longer than the limit of 24h", "fix": "write a duration of at most 24h"},
        )
    return text


Duration = Annotated[str, AfterValidator(_check_duration)]


def _base_dir(info: ValidationInfo) -> Path | None:
    ctx = info.context
    if isinstance(ctx, dict):
        base = ctx.get("base_dir")
        if isinstance(base, Path):
            return base
    return None


def _resolve(path: Path, info: ValidationInfo) -> Path:
    path = path.expanduser()
    base = _base_dir(info)
    if base is not None and not path.is_absolute():
        ctx = info.context
        real = ctx.get("real_paths") if isinstance(ctx, dict) else None
        try:
            # a reading of the file brings a RealPaths: each directory resolved once
            return real.resolve(base / path) if isinstance(real, RealPaths) else (base / path).resolve()
        except (RuntimeError, OSError):  # Python raises RuntimeError for a symlink loop
            raise PydanticCustomError(
                "helmdeck",
                "{message}",
                {"message": f"{path} is a loop of symbolic links", "fix": "point the path at a real file or directory"},
            ) from None
    return path


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


class Metadata(_Model):
    name: DnsLabel = Field(description="The platform's name; names its secrets, lock and revision records.")
    description: str | None = Field(default=None, description="Free text shown in listings.")


class RegistryCredentials(_Model):
    secret: str = Field(
        description="Name of a Kubernetes Secret of type kubernetes.io/dockerconfigjson used to pull images."
    )


class Registry(_Model):
    url: str = Field(min_length=1, description="Image registry prefix, e.g. registry.example.org/dash.")
    credentials: RegistryCredentials | None = None


class Storage(_Model):
    fast_data_dir: str | None = Field(default=None, description="Node directory for fast (SSD) data.")
    slow_data_dir: str | None = Field(default=None, description="Node directory for bulk data.")
    storage_class: dict[str, str] = Field(
        default_factory=dict,
        description="StorageClass names by role; `default` is used when a chart does not choose.",
    )

    @field_validator("fast_data_dir", "slow_data_dir")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise PydanticCustomError(
                "helmdeck",
                "{message}",
                {"message": f"{value!r} is not an absolute path", "fix": "write a path starting with /"},
            )
        return value


class Environment(_Model):
    values: list[Path] = Field(
        default_factory=list,
        description=(
            "Umbrella-style values files, applied in order: a `global` section for every component "
            "and one section per component name."
        ),
    )

    @field_validator("values")
    @classmethod
    def _resolve_values(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]


class ComponentEnvironment(_Model):
    values: list[Path] = Field(
        default_factory=list, description="Plain chart values files for this component in this environment."
    )

    @field_validator("values")
    @classmethod
    def _resolve_values(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]


ALPHABETS: dict[str, str] = {
    "alphanumeric": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "lowercase": "abcdefghijklmnopqrstuvwxyz0123456789",
    "hex": "0123456789abcdef",
    "urlsafe": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    # Printable ASCII without quotes, backslash, '$' and '`', which break shell and YAML quoting
    "punctuated": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&()*+,-./:;<=>?@[]^_{|}~",
}


class Generate(_Model):
    length: int = Field(default=32, ge=8, le=4096, description="Number of characters.")
    alphabet: str = Field(
        default="alphanumeric",
        description=("A named alphabet (" + ", ".join(ALPHABETS) + ") or the literal characters to draw from."),
    )

    @field_validator("alphabet")
    @classmethod
    def _enough_characters(cls, value: str) -> str:
        if value not in ALPHABETS and len(set(value)) < 2:
            raise PydanticCustomError(
                "helmdeck",
                "{message}",
                {
                    "message": f"alphabet {value!r} has fewer than two distinct characters",
                    "fix": "name one of " + ", ".join(ALPHABETS) + ", or list at least two characters",
                },
            )
        return value

    @property
    def characters(self) -> str:
        return ALPHABETS.get(self.alphabet, "".join(dict.fromkeys(self.alphabet)))


_INTO = re.compile(rf"{DNS_LABEL.pattern}\.\S.*")


class SecretDecl(_Model):
    description: str | None = None
    generate: Generate | None = Field(default=None, description="Generate once, randomly, and keep it.")
    from_env: EnvVarName | None = Field(default=None, description="Read from this environment variable.")
    from_file: Path | None = Field(default=None, description="Read from this file (one trailing newline dropped).")
    into: list[str] = Field(
        default_factory=list,
        description="Value paths to inject it at, as COMPONENT.key.path (e.g. backend.minio.password).",
    )

    @field_validator("from_file")
    @classmethod
    def _resolve_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    @field_validator("into")
    @classmethod
    def _into_shape(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _INTO.fullmatch(item) or not parses(split_key, item):
                raise PydanticCustomError(
                    "helmdeck",
                    "{message}",
                    {
                        "message": f"{item!r} is not COMPONENT.key.path",
                        "fix": "name the component, a dot, then the value path, e.g. backend.auth.password",
                    },
                )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> SecretDecl:
        given = [
            n
            for n, v in (
                ("generate", self.generate),
                ("fromEnv", self.from_env),
                ("fromFile", self.from_file),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise PydanticCustomError(
                "helmdeck",
                "{message}",
                {
                    "message": "a secret needs exactly one source"
                    + (f", it has {' and '.join(given)}" if given else ""),
                    "fix": "give one of `generate: {length: 32}`, `fromEnv: VARIABLE` or `fromFile: path`",
                },
            )
        return self

    @property
    def source(self) -> Literal["generate", "env", "file"]:
        if self.generate is not None:
            return "generate"
        return "env" if self.from_env is not None else "file"


class ChartRef(_Model):
    repo: str = Field(min_length=1, description="Chart repository URL (https://…).")
    name: str = Field(min_length=1, description="Chart name in the repository.")
    version: str = Field(min_length=1, description="Chart version (exact, so deployments repeat).")


def _chart_tag(value: Any) -> str:
    return "ref" if isinstance(value, dict | ChartRef) else "path"


ChartSource = Annotated[
    Annotated[str, Tag("path")] | Annotated[ChartRef, Tag("ref")],
    Discriminator(_chart_tag),
]


class Health(_Model):
    timeout: Duration = Field(default="5m", description="How long to wait for the component to become ready.")

    @property
    def timeout_seconds(self) -> float:
        return parse_duration(self.timeout)


class Component(_Model):
    name: DnsLabel = Field(
        description="Component name; also the Helm release name (instances are kept apart by their namespaces)."
    )
    chart: ChartSource = Field(
        description="A local chart directory, a .tgz, an oci:// reference, or {repo, name, version}."
    )
    namespace: str = Field(
        default="services",
        min_length=1,
        description="A logical namespace from spec.namespaces, or a literal namespace name.",
    )
    needs: list[DnsLabel] = Field(default_factory=list, description="Components that must be ready first.")
    values: list[Path] = Field(default_factory=list, description="Values files for every environment.")
    set_values: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Inline values; keys may be dotted paths (a.b.c) with \\. for a literal dot.",
    )
    environments: dict[EnvironmentName, ComponentEnvironment] = Field(default_factory=dict)
    health: Health = Field(default_factory=Health)
    gpu: bool = Field(default=False, description="The component needs a GPU.")

    @field_validator("values")
    @classmethod
    def _resolve_values(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]

    @field_validator("set_values")
    @classmethod
    def _set_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            try:
                split_key(key)
            except ConfigError as exc:
                raise PydanticCustomError("helmdeck", "{message}", {"message": exc.message, "fix": exc.fix}) from None
        return value

    @field_validator("chart")
    @classmethod
    def _resolve_chart(cls, value: str | ChartRef, info: ValidationInfo) -> str | ChartRef:
        if isinstance(value, str):
            if not value.strip():
                raise PydanticCustomError(
                    "helmdeck",
                    "{message}",
                    {
                        "message": "the chart is empty",
                        "fix": "name a chart directory, .tgz or oci:// reference",
                    },
                )
            if not value.startswith("oci://"):
                return str(_resolve(Path(value), info))
        return value

    @property
    def chart_kind(self) -> Literal["dir", "archive", "oci", "repo"]:
        if isinstance(self.chart, ChartRef):
            return "repo"
        if self.chart.startswith("oci://"):
            return "oci"
        return "archive" if self.chart.endswith((".tgz", ".tar.gz")) else "dir"

    @property
    def chart_path(self) -> Path | None:
        """The local chart directory or archive, or None for remote charts."""
        if self.chart_kind in ("dir", "archive"):
            assert isinstance(self.chart, str)
            return Path(self.chart)
        return None


class Extensions(_Model):
    catalog: list[str] = Field(
        default_factory=list,
        description="Where extension charts come from: local directories or oci:// prefixes.",
    )
    preinstall: list[str] = Field(default_factory=list, description="Extensions installed with the platform.")

    @field_validator("catalog")
    @classmethod
    def _resolve_catalog(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return [v if "://" in v else str(_resolve(Path(v), info)) for v in value]


class HealthCheckExpr(_Model):
    """One kind's health rule (Flux's ``healthCheckExprs`` shape); it replaces helmdeck's own rules
    for that kind. The first of inProgress, failed, current that is true decides; none: in progress."""

    api_version: str = Field(
        alias="apiVersion",
        min_length=1,
        description="The objects' apiVersion, as in their manifests (traefik.io/v1alpha1).",
    )
    kind: str = Field(min_length=1, description="The objects' kind (Middleware).")
    current: str = Field(
        description=("CEL over the object's fields (metadata, spec, status; {} when absent): true when it is healthy.")
    )
    in_progress: str | None = Field(
        default=None, alias="inProgress", description="CEL: true while the object is still working towards healthy."
    )
    failed: str | None = Field(default=None, description="CEL: true when the object has failed.")

    @field_validator("current", "in_progress", "failed")
    @classmethod
    def _compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind, api_version = info.data.get("kind", "?"), info.data.get("api_version", "?")
        return checked_expression(value, f"the health rule for {kind} ({api_version})")

    @property
    def group_kind(self) -> str:
        """``traefik.io/Middleware``: how status names the rule."""
        group = self.api_version.rpartition("/")[0] if "/" in self.api_version else ""
        return f"{group}/{self.kind}" if group else self.kind


DEFAULT_NAMESPACES = {"services": "services", "admin": "admin", "jobs": "jobs", "extensions": "extensions"}


class PlatformSpec(_Model):
    instance: InstanceName | Literal[""] = Field(
        default="",
        description="Prefix for namespaces, release names and data directories, so copies can share a cluster.",
    )
    namespaces: dict[str, DnsLabel] = Field(
        default_factory=dict,
        description=(
            "Logical name -> namespace. services, admin, jobs and extensions default to their own names; "
            "the admin namespace holds helmdeck's records and secrets."
        ),
    )
    registry: Registry | None = None
    storage: Storage = Field(default_factory=Storage)
    gpu: Literal["auto", "required", "off"] = Field(
        default="auto", description="auto: use GPUs when nodes have them; required: fail without; off: never."
    )
    environments: dict[EnvironmentName, Environment] = Field(default_factory=dict)
    secrets: dict[SecretName, SecretDecl] = Field(default_factory=dict)
    components: list[Component]
    extensions: Extensions = Field(default_factory=Extensions)
    health_check_exprs: list[HealthCheckExpr] = Field(
        default_factory=list,
        alias="healthCheckExprs",
        description=(
            "Health rules per kind as CEL expressions (Flux's healthCheckExprs), for custom resources whose "
            "status helmdeck cannot read by kstatus conventions; a rule replaces helmdeck's own for its kind."
        ),
    )

    @field_validator("health_check_exprs")
    @classmethod
    def _one_rule_per_kind(cls, value: list[HealthCheckExpr]) -> list[HealthCheckExpr]:
        seen: set[tuple[str, str]] = set()
        for rule in value:
            key = (rule.api_version, rule.kind)
            if key in seen:
                raise PydanticCustomError(
                    "helmdeck",
                    "{message}",
                    {
                        "message": f"two health rules for {rule.kind} ({rule.api_version})",
                        "fix": "keep one rule per apiVersion and kind",
                    },
                )
            seen.add(key)
        return value

    @field_validator("namespaces")
    @classmethod
    def _with_defaults(cls, value: dict[str, str]) -> dict[str, str]:
        return {**DEFAULT_NAMESPACES, **value}


class PlatformModel(_Model):
    """The validated document; :class:`helmdeck.spec.platform.Platform` adds the helpers."""

    api_version: Literal["helmdeck.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Platform"]
    metadata: Metadata
    spec: PlatformSpec
