"""Signed results: only the grading process, which holds the key, writes a valid result.

The key is 32 random bytes in a file kept outside the output folder: ``--key FILE``, else
``$RNNLIB_GRADING_KEY``, else ``~/.config/rnnlib/grading.key`` (made on first use, readable
by its owner only). Each result carries an HMAC-SHA256 of its content; a resumed run
regrades any result whose signature does not verify, so a result that anything else wrote
or changed is never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path


def default_key_path() -> Path:
    if os.environ.get("RNNLIB_GRADING_KEY"):
        return Path(os.environ["RNNLIB_GRADING_KEY"])
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "rnnlib" / "grading.key"


def load_key(path=None, out=None) -> bytes:
    """The signing key (made if missing)."""
    path = Path(path) if path else default_key_path()
    if out is not None:
        out = Path(out).resolve()
        if out == path.resolve().parent or out in path.resolve().parents:
            raise ValueError(f"the signing key {path} must not be inside the output folder {out}")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"the signing key {path} is too short (delete it to make a new one)")
    return text.encode()


def _canonical(result: dict) -> bytes:
    body = {k: v for k, v in result.items() if k != "signature"}
    return json.dumps(json.loads(json.dumps(body, default=str)), sort_keys=True,
                      separators=(",", ":")).encode()


def sign(result: dict, key: bytes) -> dict:
    result = dict(result)
    result["signature"] = hmac.new(key, _canonical(result), hashlib.sha256).hexdigest()
    return result


def verify(result, key: bytes) -> bool:
    if not isinstance(result, dict) or not isinstance(result.get("signature"), str):
        return False
    try:
        expected = hmac.new(key, _canonical(result), hashlib.sha256).hexdigest()
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, result["signature"])
