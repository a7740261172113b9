"""Real HTTP calls for the API tests."""

import json
import urllib.error
import urllib.request


def post(base, path, body: bytes, content_type="application/json"):
    """POST ``body`` to ``base + path``; return (status, headers, parsed JSON)."""
    req = urllib.request.Request(base + path, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read())
