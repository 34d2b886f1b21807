"""Keep a running process's library in step with the content folder, without a pause.

Every `interval` seconds the content folder is fingerprinted (name, size and mtime of each
article and quotes.yaml). On a change the new library is built beside the one in use,
reusing the loaded model and every unchanged passage's vectors, then swapped in with one
reference assignment: a search already running finishes on the old library, the next one
uses the new. A build that fails keeps the old library and logs one line. Each replica
does the same from the shared folder; the index store's lock keeps their writes apart.

A re-trained model adapter (`coach index adapt`: CONTENT_DIR/model/adapter.safetensors) is a
new model: the library is rebuilt with it the same way (every text embedded again, beside the
library in use), so a curator never has to restart the bot for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.adapter import adapter_path
from index.embedder import Embedder
from index.library import Library, library_embedder
from index.quotes import QUOTES_FILE
from index.scope import SCOPE_FILE
from index.vocabulary import VOCABULARY_FILE

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 10.0  # seconds; a change shows within interval + build time


def content_fingerprint(content_dir: Path) -> str:
    """Changes whenever an article, quotes.yaml, vocabulary.yaml or scope.yaml is added,
    edited or removed."""
    digest = hashlib.sha256()
    try:
        paths = sorted(
            [
                *Path(content_dir).glob("*.md"),
                Path(content_dir) / QUOTES_FILE,
                Path(content_dir) / VOCABULARY_FILE,
                Path(content_dir) / SCOPE_FILE,
            ]
        )
    except OSError:
        paths = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue  # removed while we looked: the next look sees it gone
        digest.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def adapter_fingerprint(content_dir: Path) -> str:
    """Changes whenever the library's model adapter is written, replaced or removed."""
    try:
        st = adapter_path(content_dir).stat()
    except OSError:
        return "none"
    return f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"


@dataclass(frozen=True)
class ReloadOutcome:
    """What one look at the folder did; `embedded` counts texts embedded by the rebuild."""

    changed: bool
    swapped: bool = False
    error: str | None = None
    seconds: float = 0.0
    embedded: int = 0


class LibraryReloader:
    """Holds the current Library; `current` is always a complete, searchable library."""

    def __init__(
        self,
        library: Library,
        content_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_swap: Callable[[Library], None] | None = None,
        base_model: str | None = None,
    ) -> None:
        """`base_model`: the model as named (EMBEDDING_MODEL), which a re-trained adapter is
        applied to; None: adapter changes are not followed (the embedder given stays)."""
        self._current = library
        self.content_dir = Path(content_dir)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.interval = interval
        self.on_swap = on_swap
        self.base_model = base_model
        self._seen = content_fingerprint(self.content_dir)
        self._adapter_seen = adapter_fingerprint(self.content_dir)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._check_lock = threading.Lock()

    @property
    def current(self) -> Library:
        return self._current

    def check_now(self) -> ReloadOutcome:
        """Look once: rebuild and swap when the folder changed since the last look."""
        with self._check_lock:
            seen = content_fingerprint(self.content_dir)
            adapter = self._adapter_seen  # not followed without a base model
            if self.base_model is not None:
                adapter = adapter_fingerprint(self.content_dir)
            if seen == self._seen and adapter == self._adapter_seen:
                return ReloadOutcome(changed=False)
            started = time.perf_counter()
            try:
                embedder = self.embedder
                if adapter != self._adapter_seen and self.base_model is not None:
                    embedder = self._adapted_embedder(self.base_model)
                library = Library.open(
                    self.content_dir,
                    self.index_dir,
                    embedder.model_name,
                    embedder=embedder,
                )
            except Exception as exc:  # noqa: BLE001 - any failure keeps the old library
                self._seen, self._adapter_seen = seen, adapter  # next time, on a new change
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.error("library reload failed, still serving the previous one: %s", message)
                return ReloadOutcome(changed=True, error=message)
            self._seen, self._adapter_seen = seen, adapter
            library.searcher.warm()  # before the swap: no question pays for it
            self._current, self.embedder = library, embedder
            seconds = time.perf_counter() - started
            embedded = library.searcher.dense.embedded
            log.info(
                "library reloaded: %d articles, %d passages (%d texts embedded) in %.1fs",
                len(library.articles),
                len(library.passages),
                embedded,
                seconds,
            )
            if self.on_swap is not None:
                try:
                    self.on_swap(library)
                except Exception as exc:  # noqa: BLE001 - a listener never stops reloading
                    log.error("after library reload: %s", exc)
            return ReloadOutcome(True, True, None, seconds, embedded)

    def _adapted_embedder(self, base_model: str) -> Embedder:
        """The embedder for the adapter now in CONTENT_DIR (the same one when it makes the
        same model folder); an adapter that cannot be used is one log line and the model as
        named (index/adapter.py)."""
        embedder = library_embedder(
            base_model, self.content_dir, self.index_dir, backend=self.embedder.backend
        )
        if embedder.model_name == self.embedder.model_name:
            return self.embedder
        log.info("model adapter changed: re-embedding the library with %s", embedder.model_name)
        return embedder

    # ---- background ----------------------------------------------------------------------
    def start(self) -> LibraryReloader:
        if self._thread is None and self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="library-reload", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check_now()
            except Exception:  # noqa: BLE001 - the loop must outlive any surprise
                log.exception("library reload check failed")
