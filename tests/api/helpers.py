"""Real HTTP calls for the API tests, sending the session's admin API key unless told otherwise."""

import contextlib
import json
import threading
import urllib.error
import urllib.request

from werkzeug.serving import WSGIRequestHandler, make_server

# {"Authorization": "Bearer <admin token>"}, filled by the session fixture `api_token` (tests/conftest.py)
AUTH: dict[str, str] = {}


def call(base, path, body: bytes | None = None, method=None, headers=None, auth=True):
    """Send a request; return (status, headers, raw body). ``auth=False`` sends no credentials."""
    all_headers = {**(AUTH if auth else {}), **(headers or {})}
    req = urllib.request.Request(base + path, data=body, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def post(base, path, body: bytes, content_type="application/json", headers=None, auth=True):
    """POST ``body`` to ``base + path``; return (status, headers, parsed JSON)."""
    status, resp_headers, raw = call(base, path, body, "POST", {"Content-Type": content_type, **(headers or {})}, auth)
    return status, resp_headers, json.loads(raw)


def get(base, path, headers=None, auth=True):
    """GET ``base + path``; return (status, headers, parsed JSON)."""
    status, resp_headers, raw = call(base, path, None, "GET", headers, auth)
    return status, resp_headers, json.loads(raw)


class QuietRequestHandler(WSGIRequestHandler):
    """No request line per request: werkzeug's would print the raw path (anything a client put in
    it). As in production, where gunicorn's access log is off, our JSON access log records the route."""

    def log_request(self, code="-", size="-"):
        pass


@contextlib.contextmanager
def serve(app):
    """Serve ``app`` on a free local port (werkzeug's threaded server); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
