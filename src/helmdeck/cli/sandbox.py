"""``helmdeck sandbox``: the local rehearsal cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from helmdeck.cli.options import flag
from helmdeck.cli.output import Output, OutputFormat, console, emit_json, err_console
from helmdeck.sandbox import DEFAULT_NAME

app = typer.Typer(
    help="A local sandbox cluster (real control plane, simulated nodes) to rehearse deployments.",
    no_args_is_help=True,
)

NameOpt = Annotated[str, typer.Option("--name", help="Sandbox name (several may run side by side).")]
OutputOpt = Output


@app.command()
def up(
    name: NameOpt = DEFAULT_NAME,
    nodes: Annotated[int, typer.Option("--nodes", min=1, max=50, help="Simulated worker nodes.")] = 2,
    gpu_node: bool = flag("--gpu-node", help="Add a node offering nvidia.com/gpu."),
    timeout: Annotated[int, typer.Option("--timeout", min=1, max=3600, help="Seconds to wait for readiness.")] = 180,
    output: OutputOpt = OutputFormat.human,
) -> None:
    """Start the sandbox (or reuse a running one) and print its kubeconfig path."""
    from helmdeck.sandbox.cluster import Sandbox

    sandbox = Sandbox(name)
    if output is OutputFormat.json:
        result = sandbox.up(nodes=nodes, gpu_node=gpu_node, timeout=timeout)
    else:
        with err_console.status(f"starting sandbox '{name}' (etcd, kube-apiserver, controllers, kwok)..."):
            result = sandbox.up(nodes=nodes, gpu_node=gpu_node, timeout=timeout)
    if output is OutputFormat.json:
        emit_json(
            {
                "name": result.name,
                "kubeconfig": str(result.kubeconfig),
                "reused": result.reused,
                "seconds": round(result.seconds, 2),
                "nodes": result.nodes,
                "restarted": result.restarted,
                "warnings": result.warnings,
            }
        )
        return
    if result.restarted:
        err_console.print(f"sandbox '{name}': restarted {', '.join(result.restarted)}, which had died; data kept")
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    if result.restarted:
        verb = f"running again in {result.seconds:.1f}s"
    else:
        verb = "already running; reused" if result.reused else f"started in {result.seconds:.1f}s"
    err_console.print(f"sandbox '{name}' {verb}; nodes Ready: {', '.join(result.nodes)}")
    err_console.print(f"use it with: export KUBECONFIG={result.kubeconfig}")
    typer.echo(str(result.kubeconfig))


@app.command()
def down(name: NameOpt = DEFAULT_NAME, output: OutputOpt = OutputFormat.human) -> None:
    """Stop the sandbox and remove its state (nothing is left running)."""
    from helmdeck.sandbox.cluster import Sandbox

    removed = Sandbox(name).down()
    if output is OutputFormat.json:
        emit_json({"name": name, "removed": removed})
    elif removed:
        console.print(f"sandbox '{name}' stopped and removed")
    else:
        console.print(f"no sandbox named '{name}'; nothing to do")


@app.command()
def status(name: NameOpt = DEFAULT_NAME, output: OutputOpt = OutputFormat.human) -> None:
    """Show whether the sandbox runs, each component's process, and its nodes."""
    from helmdeck.sandbox.cluster import Sandbox

    st = Sandbox(name).status()
    if output is OutputFormat.json:
        emit_json(st.as_dict())
    elif not st.exists:
        console.print(f"no sandbox named '{name}'; start one with 'helmdeck sandbox up'")
    else:
        state = "running" if st.running and not st.dead else ("degraded" if st.running else "stopped")
        console.print(f"sandbox '{name}': {state}  {st.server or ''}  {st.version or ''}")
        for c in st.components:
            mark = "[green]up[/]" if c.alive else "[red]dead[/]"
            line = f"  {c.name:<24} {mark}  pid {c.pid or '-'}"
            if not c.alive:
                line += f"  log: {c.log}"
            console.print(line)
        for n in st.nodes:
            console.print(f"  node {n['name']:<20} {'Ready' if n['ready'] else 'NotReady'}")
        if st.kubeconfig:
            console.print(f"  kubeconfig: {st.kubeconfig}")
    if st.exists and st.dead:
        raise typer.Exit(1)


@app.command()
def kubeconfig(name: NameOpt = DEFAULT_NAME) -> None:
    """Print the kubeconfig path of a running sandbox."""
    from helmdeck.sandbox.cluster import Sandbox

    sandbox = Sandbox(name)
    if not sandbox.exists():
        err_console.print(f"no sandbox named '{name}'; start one with 'helmdeck sandbox up'")
        raise typer.Exit(1)
    typer.echo(str(sandbox.kubeconfig))
