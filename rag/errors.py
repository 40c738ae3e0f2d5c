"""One small error hierarchy; every message says what to do next."""


class RagError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(RagError):
    """A setting is missing or wrong."""


class IndexMissingError(RagError):
    """No index was found where one was expected."""


class IndexCorruptError(RagError):
    """The index on disk cannot be read or was built by something else."""


class IndexOutdatedError(IndexCorruptError):
    """The index was written by an older version of rag; `rag index` rebuilds it."""


class EmbeddingBackendError(RagError):
    """An embedding backend cannot be loaded."""


class LoadError(RagError):
    """A source file cannot be read as text."""


class QuestionError(RagError, ValueError):
    """A question or its options are unusable (empty, k out of range)."""


class QuestionSetError(RagError, ValueError):
    """A line of an eval question set is malformed."""


class LLMError(RagError):
    """The LLM endpoint failed or answered with something unusable."""


class IndexCancelled(RagError):
    """An index build was cancelled (`build_index(cancel=...)`); the previous index is unchanged."""


class StoreUnavailableError(RagError):
    """The vector store's server does not answer (a Milvus URI that is down or wrong)."""
