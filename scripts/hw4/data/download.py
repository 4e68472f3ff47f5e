"""Downloads that are checked before they are used, and telling 'no network' from 'bad data'."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path

from hw4.data.errors import ChecksumError
from hw4.io.files import atomic_path, sha256_of

log = logging.getLogger("hw4")


def download_verified(url: str, dest: str | os.PathLike, sha256: str, timeout: float = 30) -> Path:
    """Download ``url`` to ``dest`` unless a file with the right sha256 is already there.

    The bytes go to a temporary file first and are renamed into place only when
    their sha256 matches, so a broken download can never be mistaken for the data.
    """
    dest = Path(dest)
    if dest.exists():
        if sha256_of(dest) == sha256:
            log.info("using cached %s (sha256 ok)", dest)
            return dest
        log.warning("cached %s has the wrong sha256; deleting it and downloading again", dest)
        dest.unlink()
    log.info("downloading %s", url)
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out)
        got = sha256_of(tmp)
        if got != sha256:
            raise ChecksumError(
                f"{url}: sha256 {got} does not match the expected {sha256}; the file was discarded"
            )
    log.info("downloaded %s (%d bytes, sha256 ok)", dest, dest.stat().st_size)
    return dest


def is_network_error(error: BaseException) -> bool:
    """True for failures that mean 'no network here', not 'bad data'."""
    if isinstance(error, urllib.error.HTTPError):
        return False
    return isinstance(error, (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError))
