"""Preflight checks of a platform against a cluster, and diagnosis of a deployed platform's
unhealthy workloads; both report findings (severity, check, component, object, reason, fix).

Three layers, each a package (import contracts in ``pyproject.toml`` keep them apart):

- :mod:`helmdeck.doctor.rules`: pure checks of the rendered platform against facts handed in (nodes,
  StorageClasses, quotas, ...); they never reach the cluster, so they are tested without one.
- :mod:`helmdeck.doctor.preflight`: before a deploy, reads the cluster's facts once and runs the rules
  (``run_preflight``, ``check_before_deploy``).
- :mod:`helmdeck.doctor.live`: after a deploy, explains every unhealthy object (``diagnose_platform``).

Findings and the report (:mod:`helmdeck.doctor.findings`) are shared by all three. Import names from
the module that defines them: this file loads nothing, so the CLI starts without the checks.
"""
