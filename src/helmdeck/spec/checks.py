"""Checks that need the whole platform: names that must be unique, references, cycles, files."""

from __future__ import annotations

import os
from pathlib import Path

from helmdeck.errors import ConfigError
from helmdeck.spec import graph
from helmdeck.spec.names import DNS_LABEL, RELEASE_NAME_MAX
from helmdeck.spec.platform import Platform, did_you_mean
from helmdeck.spec.real_paths import RealPaths, link_out_of
from helmdeck.spec.yaml_document import display_path

COMPONENTS = ("spec", "components")


def check_platform(platform: Platform, real_paths: RealPaths | None = None) -> list[ConfigError]:
    """Every problem found, in file order of kind; an empty list means the platform is sound.
    ``real_paths``: the resolutions of the reading that made ``platform`` (for the same reading)."""
    problems: list[ConfigError] = []
    problems += _duplicate_components(platform)
    problems += _names_fit(platform)
    problems += _reserved_namespaces(platform)
    problems += _needs(platform)
    problems += _component_environments(platform)
    problems += _files(platform)
    problems += _secret_targets(platform)
    problems += _outside(platform, real_paths or RealPaths())
    return problems


def _duplicate_components(platform: Platform) -> list[ConfigError]:
    first: dict[str, int] = {}
    out = []
    for i, c in enumerate(platform.components):
        if c.name in first:
            earlier = platform.line_of((*COMPONENTS, first[c.name], "name"))
            out.append(
                ConfigError(
                    f"component name '{c.name}' is used twice" + (f" (first on line {earlier})" if earlier else ""),
                    where=platform.where((*COMPONENTS, i, "name")),
                    fix="give each component its own name; it becomes the Helm release name",
                )
            )
        else:
            first[c.name] = i
    return out


def _names_fit(platform: Platform) -> list[ConfigError]:
    out = []
    for i, c in enumerate(platform.components):
        release = platform.release_name(c)
        if len(release) > RELEASE_NAME_MAX:
            out.append(
                ConfigError(
                    f"release name '{release}' is {len(release)} characters; Helm allows {RELEASE_NAME_MAX}",
                    where=platform.where((*COMPONENTS, i, "name")),
                    fix="shorten the component name",
                )
            )
        if c.namespace not in platform.spec.namespaces and not DNS_LABEL.matches(c.namespace):
            out.append(
                ConfigError(
                    f"namespace '{c.namespace}' is neither a key of spec.namespaces nor a valid namespace name",
                    where=platform.where((*COMPONENTS, i, "namespace")),
                    fix=did_you_mean(c.namespace, list(platform.spec.namespaces), "namespace")
                    + f" (a literal namespace uses {DNS_LABEL.description})",
                )
            )
    for key in platform.spec.namespaces:
        full = platform.logical_namespace(key)
        if len(full) > DNS_LABEL.max_length:
            out.append(
                ConfigError(
                    f"namespace '{full}' is longer than {DNS_LABEL.max_length} characters",
                    where=platform.where(("spec", "namespaces", key)),
                    fix="shorten the namespace or the instance prefix",
                )
            )
    return out


#: Namespaces every cluster shares: a platform installed there could not be told apart from what
#: others keep in them, and undeploy/purge would reach into objects helmdeck never made.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _reserved_namespaces(platform: Platform) -> list[ConfigError]:
    out = []
    fix = "give the platform namespaces of its own (e.g. 'services: research-services'); helmdeck creates them"
    for key in platform.spec.namespaces:
        full = platform.logical_namespace(key)
        if full in RESERVED_NAMESPACES:
            out.append(
                ConfigError(
                    f"namespace '{full}' (spec.namespaces.{key}) is shared by the whole cluster",
                    where=platform.where(("spec", "namespaces", key)),
                    fix=fix,
                )
            )
    for i, c in enumerate(platform.components):
        if c.namespace in platform.spec.namespaces:
            continue  # reported above, at its declaration
        full = platform.namespace_of(c)
        if full in RESERVED_NAMESPACES:
            out.append(
                ConfigError(
                    f"component '{c.name}' is placed in namespace '{full}', which the whole cluster shares",
                    where=platform.where((*COMPONENTS, i, "namespace")),
                    fix=fix,
                )
            )
    return out


def _needs(platform: Platform) -> list[ConfigError]:
    names = platform.component_names
    known = set(names)
    out = []
    for i, c in enumerate(platform.components):
        for j, need in enumerate(c.needs):
            if need not in known:
                out.append(
                    ConfigError(
                        f"component '{c.name}' needs '{need}', which is not a component of this platform",
                        where=platform.where((*COMPONENTS, i, "needs", j)),
                        fix=did_you_mean(need, [n for n in names if n != c.name], "other component"),
                    )
                )
    # Report each cycle: after finding one, drop the edge that closes it and look again.
    needs = {name: list(deps) for name, deps in platform.needs_map().items()}
    for _ in range(len(needs)):
        cycle = graph.find_cycle(needs)
        if not cycle:
            break
        needs[cycle[0]].remove(cycle[1])
        index = platform.component_index(cycle[0])
        position = platform.components[index].needs.index(cycle[1])
        out.append(
            ConfigError(
                f"dependency cycle: {' -> '.join(cycle)}",
                where=platform.where((*COMPONENTS, index, "needs", position)),
                fix="remove one of these `needs` so the components can be ordered",
            )
        )
    return out


def _component_environments(platform: Platform) -> list[ConfigError]:
    known = platform.environment_names
    out = []
    for i, c in enumerate(platform.components):
        for env in c.environments:
            if env not in platform.spec.environments:
                out.append(
                    ConfigError(
                        f"component '{c.name}' has values for environment '{env}', which the platform "
                        "does not declare" + (f" (known: {', '.join(known)})" if known else ""),
                        where=platform.where((*COMPONENTS, i, "environments", env)),
                        fix=(did_you_mean(env, known, "environment") + "; " if known else "")
                        + f"declare it under spec.environments "
                        f"(`{env}: {{}}` if it has no platform-wide files)",
                    )
                )
    return out


def _missing_file(platform: Platform, path: Path, where_path: tuple[object, ...], what: str) -> ConfigError:
    line = platform.line_of(where_path)
    return ConfigError(
        f"{what} '{display_path(path)}' does not exist"
        + (
            f" (referenced on line {line} of {display_path(platform.source_path)})"
            if line and platform.source_path
            else ""
        ),
        where=platform.where(where_path),
        fix="create the file, or fix the path (relative paths start at the platform file's directory)",
    )


def _files(platform: Platform) -> list[ConfigError]:
    out = []
    for env_name, env in platform.spec.environments.items():
        for j, path in enumerate(env.values):
            if not path.is_file():
                out.append(
                    _missing_file(platform, path, ("spec", "environments", env_name, "values", j), "values file")
                )
    for i, c in enumerate(platform.components):
        chart = c.chart_path
        if chart is not None and not chart.exists():
            out.append(_missing_file(platform, chart, (*COMPONENTS, i, "chart"), "chart"))
        for j, path in enumerate(c.values):
            if not path.is_file():
                out.append(_missing_file(platform, path, (*COMPONENTS, i, "values", j), "values file"))
        for env_name, comp_env in c.environments.items():
            for j, path in enumerate(comp_env.values):
                if not path.is_file():
                    out.append(
                        _missing_file(
                            platform,
                            path,
                            (*COMPONENTS, i, "environments", env_name, "values", j),
                            "values file",
                        )
                    )
    return out


ALLOW_OUTSIDE_ENV = "HELMDECK_ALLOW_OUTSIDE"


def outside_allowed() -> bool:
    """Set by ``helmdeck --allow-outside`` (or the variable itself) for platform files one trusts."""
    return os.environ.get(ALLOW_OUTSIDE_ENV, "") not in ("", "0", "false")


def _outside(platform: Platform, real: RealPaths) -> list[ConfigError]:
    """Files a platform file names must lie in its own directory: a file received from someone
    else could otherwise read any file of the operator's (``fromFile: ~/.ssh/id_rsa`` as a
    "secret" ends up in the cluster) or render charts from anywhere."""
    if outside_allowed() or platform.source_path is None:
        return []
    base = platform.source_path.parent.resolve()
    paths: list[tuple[Path, tuple[str | int, ...], str]] = []
    for env_name, env in platform.spec.environments.items():
        paths += [(p, ("spec", "environments", env_name, "values", j), "values file") for j, p in enumerate(env.values)]
    for i, c in enumerate(platform.components):
        if c.chart_path is not None:
            paths.append((c.chart_path, (*COMPONENTS, i, "chart"), "chart"))
        paths += [(p, (*COMPONENTS, i, "values", j), "values file") for j, p in enumerate(c.values)]
        for env_name, comp_env in c.environments.items():
            env_key = (*COMPONENTS, i, "environments", env_name, "values")
            paths += [(p, (*env_key, j), "values file") for j, p in enumerate(comp_env.values)]
    for name, decl in platform.spec.secrets.items():
        if decl.from_file is not None:
            paths.append((decl.from_file, ("spec", "secrets", name, "fromFile"), "secret file"))
    for j, entry in enumerate(platform.spec.extensions.catalog):
        if "://" not in entry:
            paths.append((Path(entry), ("spec", "extensions", "catalog", j), "catalog entry"))
    out = []
    for path, key, what in paths:
        try:
            resolved = real.resolve(path)
        except (OSError, RuntimeError):
            continue  # a symlink loop is reported where the path is read
        if what == "chart" and resolved.is_relative_to(base) and resolved.is_dir():
            # templates read any file of the chart (.Files.Get): a link inside it reaches as far
            escaping = link_out_of(resolved, base, MAX_CHART_ENTRIES)
            if escaping is not None:
                link, target = escaping
                out.append(
                    ConfigError(
                        f"chart {path} holds a symbolic link {link.relative_to(resolved)} to {target}, outside the "
                        f"platform file's directory {base}",
                        where=platform.where(key),
                        fix=f"copy the file into the chart, or pass --allow-outside (or set {ALLOW_OUTSIDE_ENV}=1) "
                        "if you trust this platform file",
                    )
                )
            continue
        if not resolved.is_relative_to(base):
            out.append(
                ConfigError(
                    f"{what} {path} lies outside the platform file's directory {base}",
                    where=platform.where(key),
                    fix=f"move it under {base}, or pass --allow-outside (or set {ALLOW_OUTSIDE_ENV}=1) if you "
                    "trust this platform file",
                )
            )
    return out


MAX_CHART_ENTRIES = 20_000


def _secret_targets(platform: Platform) -> list[ConfigError]:
    names = platform.component_names
    out = []
    for secret, decl in platform.spec.secrets.items():
        for j, target in enumerate(decl.into):
            comp = target.partition(".")[0]
            if comp not in names:
                out.append(
                    ConfigError(
                        f"secret '{secret}' is injected into '{target}', but there is no component '{comp}'",
                        where=platform.where(("spec", "secrets", secret, "into", j)),
                        fix=did_you_mean(comp, names, "component")
                        + " (the first part of the path names the component)",
                    )
                )
    return out
