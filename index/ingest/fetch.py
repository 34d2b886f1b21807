"""Download a URL for `content add`, with a clear reason when it does not answer.

urllib3 (already under trafilatura) rather than trafilatura.fetch_url: its exceptions tell a
refused connection from a timeout, and the response keeps its status and content type, so
a PDF or Word file behind a link is converted as one.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import urllib3
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import (
    HTTPError,
    IncompleteRead,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ResponseError,
    SSLError,
    TimeoutError,
)

from index.ingest.errors import FetchError

MAX_BYTES = 20 * 1024 * 1024
USER_AGENT = "leadership-coach/0.1 (+content add)"


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    data: bytes
    content_type: str  # lower case, without parameters


def fetch(url: str, timeout: float = 15.0) -> Fetched:
    """GET `url`; FetchError naming the URL when it is refused, slow, or not 2xx."""
    http = urllib3.PoolManager(
        headers={"User-Agent": USER_AGENT},
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        # a refused or timed-out request is not retried: `timeout` is the whole wait a
        # curator sees for a server that does not answer (a retry doubled it)
        retries=urllib3.Retry(
            total=2, connect=0, read=0, redirect=5, status=0, raise_on_status=False
        ),  # raise_on_status: a 503 or 429 with Retry-After is its status, not "did not answer"
    )
    deadline = time.monotonic() + timeout
    try:
        response = http.request("GET", url, preload_content=False)
    except MaxRetryError as exc:
        raise FetchError(url, _why(exc.reason)) from None
    except (HTTPError, ValueError) as exc:
        raise FetchError(url, _why(exc)) from None
    try:
        if not 200 <= response.status < 300:
            raise FetchError(url, f"the server answered HTTP {response.status}{_hint(response)}")
        data = _read_by(response, deadline, url, timeout)
    except (HTTPError, OSError) as exc:
        raise FetchError(url, _why(exc)) from None
    finally:
        response.release_conn()
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    final = urljoin(url, response.geturl() or url)
    return Fetched(final, data, content_type)


def _read_by(response: BaseHTTPResponse, deadline: float, url: str, timeout: float) -> bytes:
    """The body, or FetchError once `timeout` has passed since the request: the read time-out
    only bounds each wait for a byte, so a server trickling its page never ran out of it
    and `content add` waited on it for as long as it kept sending."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(64 * 1024, decode_content=True):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(url, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        if time.monotonic() > deadline:
            raise FetchError(url, f"the page was still coming after {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _hint(response: BaseHTTPResponse) -> str:
    """What the curator can do about an error status."""
    status = response.status
    if status == 429 or status >= 500:
        return " (the site is busy or down: try again later)"
    if status in (401, 403):
        return " (the page needs a login: save it from your browser and add the file)"
    if status in (404, 410):
        return " (check the address)"
    return ""


def _why(exc: BaseException | None) -> str:
    if isinstance(exc, NameResolutionError):
        return "the host name does not resolve"
    if isinstance(exc, NewConnectionError):
        return "the connection was refused"
    if isinstance(exc, TimeoutError):
        return "no answer before the time-out"
    if isinstance(exc, ProtocolError):  # it answered, then the connection broke off
        cut = next((a for a in exc.args if isinstance(a, IncompleteRead)), None)
        if cut is not None and isinstance(cut.partial, int) and isinstance(cut.expected, int):
            got, of = cut.partial, cut.partial + cut.expected
            return f"the connection closed before the page was complete ({got:,} of {of:,} bytes)"
        return "the connection closed before the page was complete"
    if isinstance(exc, ResponseError) and "redirect" in str(exc):  # it answered, in a loop
        return "the page redirects in a loop (open it in a browser and add where it ends)"
    if isinstance(exc, SSLError):  # it answered; an https connection could not be made
        return _secure(exc)
    return f"the URL did not answer ({exc})"


def _secure(exc: SSLError) -> str:
    """An https connection that failed, said as what to do (was "the URL did not answer
    ([SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006))")."""
    cause = next((a for a in exc.args if isinstance(a, ssl.SSLError)), None)
    if cause is not None and getattr(cause, "verify_message", None):
        return (
            f"the site's certificate is not trusted ({cause.verify_message}): if you trust "
            "the site, save the page from your browser and add the file"
        )
    reason = str(getattr(cause, "reason", None) or "").replace("_", " ").lower()
    return (
        f"the secure connection failed{f' ({reason})' if reason else ''}: check the "
        "address (does the site answer at http:// rather than https://?)"
    )
