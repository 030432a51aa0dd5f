"""``helmdeck serve``: the web service (REST API and web UI), and its tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from helmdeck.cli.options import Cluster, Output, Where, flag, grouped, target
from helmdeck.cli.output import OutputFormat, console, emit_json, err_console

if TYPE_CHECKING:
    from helmdeck.server.auth import TokenStore
    from helmdeck.server.settings import ServerSettings
    from helmdeck.spec import Platform

app = typer.Typer(help="Run the web service (REST API and web UI); manage its tokens.")
token_app = typer.Typer(
    help="API tokens of the web service (stored hashed in the state directory).", no_args_is_help=True
)
app.add_typer(token_app, name="token")

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Tokens, audit log and uploads; default $HELMDECK_STATE_DIR or ~/.local/state/helmdeck/PLATFORM.",
    ),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="serve")


def _platform(where: Where) -> Platform:
    from helmdeck.app.rules import target_platform

    return target_platform(target(where))


def _state_dir(where: Where, state_dir: Path | None) -> Path:
    from helmdeck.extensions.state import default_state_dir

    if state_dir is not None:
        return state_dir
    platform = _platform(where)
    return default_state_dir(platform.prefixed(platform.name))


def _store(where: Where, state_dir: Path | None) -> TokenStore:
    from helmdeck.server.app import tokens_path
    from helmdeck.server.auth import TokenStore

    return TokenStore(tokens_path(_state_dir(where, state_dir)))


@app.callback(invoke_without_command=True)
@grouped
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    *,
    where: Where,
    state_dir: StateDir = None,
    env: Annotated[
        str | None,
        typer.Option(
            "-e", "--env", envvar="HELMDECK_ENV", help="Environment for extension installs (default: the deployed one)."
        ),
    ] = None,
    cluster: Cluster,
    allow_cluster_scoped_uploads: bool = flag(
        "--allow-cluster-scoped-uploads", help="Accept uploaded charts with cluster-scoped objects."
    ),
    secure_cookies: bool = flag("--secure-cookies", help="Send the session cookie over https only (behind TLS)."),
    shutdown_grace: Annotated[
        float,
        typer.Option(
            "--shutdown-grace",
            min=0,
            max=3600,
            help="Seconds a stop signal (SIGTERM, Ctrl-C) lets a running operation finish its component.",
        ),
    ] = 60.0,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-For names the client (repeatable); "
            "without it the header is ignored.",
        ),
    ] = None,
) -> None:
    """Serve the REST API (/api/v1, docs at /api/docs) and the web UI. On first start an admin token is
    created and printed once."""
    if ctx.invoked_subcommand is not None:
        return
    from helmdeck.extensions.state import default_state_dir
    from helmdeck.server.settings import ServerSettings

    platform = _platform(where)
    settings = ServerSettings(
        platform_file=where.file,
        instance=where.instance,
        state_dir=state_dir or default_state_dir(platform.prefixed(platform.name)),
        kubeconfig=cluster.kubeconfig or in_cluster_kubeconfig(state_dir),
        context=cluster.context,
        environment=env,
        allow_cluster_scoped_uploads=allow_cluster_scoped_uploads,
        secure_cookies=secure_cookies,
        shutdown_grace=shutdown_grace,
        trusted_proxies=trusted_proxies(trusted_proxy or []),
    )
    _serve_platform(settings, platform, host, port)


def _serve_platform(settings: ServerSettings, platform: Platform, host: str, port: int) -> None:
    """Build the service, print the first admin token if there was none, and serve until stopped."""
    from helmdeck.server import serving
    from helmdeck.server.app import create_app
    from helmdeck.server.backend import ClusterBackend

    backend = ClusterBackend(settings, platform)
    app_ = create_app(settings, backend)
    tokens = app_.state.tokens
    if tokens.empty():
        _record, secret = tokens.create("admin", "admin")
        err_console.print(
            "[bold]No token existed: created the admin token below. It is shown this once; keep it safe.[/]"
        )
        print(secret, flush=True)  # stdout, alone on its line, so it can be captured
    err_console.print(
        f"helmdeck serving platform {backend.platform_id} on http://{host}:{port}/ (state in {backend.state_dir})",
        highlight=False,
    )
    serving.serve(app_, host, port, grace=settings.shutdown_grace)


def trusted_proxies(given: list[str]) -> tuple[str, ...]:
    """``--trusted-proxy`` values as addresses or networks; a bad one is refused by name."""
    import ipaddress

    from helmdeck.errors import ConfigError

    out = []
    for text in given:
        try:
            out.append(str(ipaddress.ip_network(text.strip(), strict=False)))
        except ValueError:
            raise ConfigError(
                f"--trusted-proxy {text!r} is not an IP address or network",
                fix="give the proxy's address as it connects to helmdeck, e.g. 10.0.0.5 or 10.0.0.0/24",
            ) from None
    return tuple(out)


def in_cluster_kubeconfig(state_dir: Path | None) -> str | None:
    """Inside a pod without a kubeconfig: one that uses the pod's ServiceAccount token."""
    import os

    token = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    if not host or not token.exists() or os.environ.get("KUBECONFIG"):
        return None
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    ca = token.parent / "ca.crt"
    namespace = (token.parent / "namespace").read_text().strip() if (token.parent / "namespace").exists() else ""
    text = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: in-cluster, cluster: {{server: 'https://{host}:{port}', "
        f"certificate-authority: '{ca}'}}}}]\n"
        f"users: [{{name: sa, user: {{tokenFile: '{token}'}}}}]\n"
        f"contexts: [{{name: in-cluster, context: {{cluster: in-cluster, user: sa, namespace: '{namespace}'}}}}]\n"
        "current-context: in-cluster\n"
    )
    target = (state_dir or Path("/tmp")) / "in-cluster-kubeconfig.yaml"  # noqa: S108 - a fallback for pods
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(0o600)
    return str(target)


@token_app.command("create")
@grouped
def token_create(
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin.")],
    name: Annotated[str, typer.Option("--name", help="Who or what the token is for.")],
    *,
    where: Where,
    state_dir: StateDir = None,
    output: Output = OutputFormat.human,
) -> None:
    """Create a token and print it once (it is stored only as a hash)."""
    from helmdeck.server.auth import Role

    record, secret = _store(where, state_dir).create(name, Role.parse(role))
    if output is OutputFormat.json:
        emit_json({"token": record.public(), "secret": secret}, reveal=True)
        return
    err_console.print(f"token {record.name} ({record.role}, id {record.id}); shown this once:", highlight=False)
    print(secret, flush=True)


@token_app.command("list")
@grouped
def token_list(
    *,
    where: Where,
    state_dir: StateDir = None,
    output: Output = OutputFormat.human,
) -> None:
    """The tokens (names, roles, ids; never the tokens themselves)."""
    records = _store(where, state_dir).records()
    if output is OutputFormat.json:
        emit_json({"tokens": [r.public() for r in records]})
        return
    table = Table(title="tokens")
    for col in ("id", "name", "role", "created"):
        table.add_column(col)
    for r in records:
        table.add_row(r.id, r.name, r.role, r.created)
    console.print(table)


@token_app.command("revoke")
@grouped
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id or name.")],
    *,
    where: Where,
    state_dir: StateDir = None,
    output: Output = OutputFormat.human,
) -> None:
    """Revoke a token: requests and web sessions using it stop working at once."""
    record = _store(where, state_dir).revoke(token)
    if output is OutputFormat.json:
        emit_json(record.public())
    else:
        console.print(f"revoked token {record.name} ({record.id})", highlight=False)
