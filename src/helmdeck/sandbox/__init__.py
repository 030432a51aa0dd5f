"""The local sandbox cluster (kwokctl with the binary runtime): a real control plane with simulated
nodes, to rehearse deployments and to run the tests against."""

#: the sandbox `helmdeck sandbox` commands use when no --name is given
DEFAULT_NAME = "helmdeck"
