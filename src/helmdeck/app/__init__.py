"""The application layer: the one way into an operation for every front end (CLI, web service).

A :class:`~helmdeck.app.target.Target` says which platform, where and how; :func:`~helmdeck.app.opening.open_platform`
turns it into the session every service works on, applying the environment and instance rules; the
deploy, extension and undeploy entry points (``deploy``, ``extensions``, ``undeploy``) are what the
front ends call, so the CLI and the web service stay thin over the same calls.
"""
