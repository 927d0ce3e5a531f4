"""User-facing errors. The core raises these; the CLI, the HTTP API and the UI turn them into messages."""


class RagError(Exception):
    """Base class: anything a user can fix gets a subclass and a message that says how."""


class BadQuestion(RagError):
    """The question is empty, too long or not something the system can search for."""


class IndexMissing(RagError):
    """There is no index (or it is empty) under the configured home."""


class StoreError(RagError):
    """The vector store cannot be opened or is damaged."""


class BadInput(RagError):
    """A path or argument given by the user is unusable (missing folder, empty folder, bad file)."""


class ArticleNotFound(RagError):
    """An article id that is not in the index."""


class LLMUnavailable(RagError):
    """Generative mode is configured but the model cannot be reached, failed, or ran past the timeout."""


class Overloaded(RagError):
    """Every worker is busy and the queue is full: try again in ``retry_after`` seconds (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMNotConfigured(RagError):
    """Generative mode was asked for but no model is configured."""
