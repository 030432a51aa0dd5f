"""Pure doctor checks: the rendered platform (:class:`~helmdeck.doctor.rules.desired.PlatformView`)
against cluster facts handed in as plain objects, each returning findings. Nothing here reaches the
cluster (a contract in ``pyproject.toml`` forbids importing the cluster port, the session or
lightkube), so preflight and live diagnosis share them and unit tests run them without a cluster."""
