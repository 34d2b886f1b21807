"""One exception type per failure a user (or admin) can act on."""

from __future__ import annotations

from pathlib import Path


class CoachError(Exception):
    """Base class: every error a person can fix, with where it came from."""


class ContentError(CoachError):
    """An article or quotes file in content/ cannot be read; names the file and line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class ModelLoadError(CoachError):
    """The embedding model named by EMBEDDING_MODEL cannot be loaded offline."""

    def __init__(self, model: str, cause: str) -> None:
        self.model = model
        super().__init__(
            f"EMBEDDING_MODEL={model!r} could not be loaded: {cause.rstrip('. ')}. "
            "Unset EMBEDDING_MODEL to use the bundled all-MiniLM-L6-v2, or name a local folder."
        )


class IndexCorruptError(CoachError):
    """An index file on disk is unreadable; the library rebuilds it rather than failing."""

    def __init__(self, path: Path | str, cause: str) -> None:
        self.path = Path(path)
        super().__init__(f"{path}: index file is corrupt or truncated ({cause})")


class IndexWriteError(CoachError):
    """The index cannot be written (DATA_DIR missing permissions, disk full)."""

    def __init__(self, path: Path | str, cause: str) -> None:
        self.path = Path(path)
        super().__init__(f"{path}: cannot write the index ({cause}); check DATA_DIR")


class NoContentFolderError(CoachError):
    """CONTENT_DIR names no folder (mistyped): nothing can be read from it, and an article
    or quote added there would be written where the coach never looks."""

    def __init__(self, content_dir: Path | str) -> None:
        super().__init__(
            f"CONTENT_DIR={content_dir}: no such folder (unset it to use the checkout's content/)"
        )


class EmptyLibraryError(CoachError):
    """content/ holds no readable article, so there is nothing to search."""

    def __init__(self, content_dir: Path | str) -> None:
        if not Path(content_dir).is_dir():  # a mistyped CONTENT_DIR: "add one" would mislead
            super().__init__(str(NoContentFolderError(content_dir)))
            return
        super().__init__(f"{content_dir}: no articles (*.md) found; add one and rebuild the index")


class AdapterError(CoachError):
    """The library's model adapter (content/model/adapter.safetensors) cannot be read or
    does not fit the model: the coach runs on the model as named (EMBEDDING_MODEL, the
    bundled one when unset), and says so."""

    def __init__(self, path: Path | str, cause: str) -> None:
        self.path = Path(path)
        super().__init__(
            f"{path}: cannot use this model adapter ({cause.rstrip('. ')}); searching without "
            "it, with EMBEDDING_MODEL as it is (the bundled model when unset). Train it again "
            "with `coach index adapt`, or remove the file."
        )
