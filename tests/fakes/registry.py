"""A container registry on loopback speaking the Docker Registry HTTP API's manifest HEAD and its
token handshake (a 401 naming a token realm, basic auth there, a bearer token back): enough for the
image preflight to ask what a real registry would be asked."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUSHED = {("lab/app", "1.0"), ("lab/worker", "2.1")}
USER, PASSWORD = "puller", "s3cret-pull"


class _Registry(BaseHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass

    def _deny(self) -> None:
        host = self.headers["Host"]
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'Bearer realm="http://{host}/token",service="test"')
        self.end_headers()

    def do_GET(self) -> None:
        if self.path == "/v2/":
            return self._deny()
        if self.path.startswith("/token"):
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return None
            body = json.dumps({"token": "t0k"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        self.send_response(404)
        self.end_headers()
        return None

    def do_HEAD(self) -> None:
        if self.headers.get("Authorization") != "Bearer t0k":
            return self._deny()
        repository, _, reference = self.path.removeprefix("/v2/").partition("/manifests/")
        self.send_response(200 if (repository, reference) in PUSHED else 404)
        self.end_headers()
        return None


@contextmanager
def serving_registry() -> Iterator[str]:
    """host:port of a registry holding PUSHED, which answers only with USER and PASSWORD."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def pull_secret(host: str) -> dict[str, object]:
    """A dockerconfigjson Secret (as a dict) with the registry's credentials for ``host``."""
    config = {"auths": {host: {"auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}}}
    return {"data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}}
