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


class LLMNotConfigured(RagError):
    """Generative mode was asked for but no model is configured."""
