"""Chat completions through the `openai` client against any OpenAI-compatible endpoint."""
from __future__ import annotations

from collections.abc import Iterator

from ..config import Settings
from ..errors import ConfigError, LLMError


class ChatModel:
    """One endpoint and model; `complete` and `stream` raise LLMError with the reason on failure."""

    def __init__(self, settings: Settings, client=None):
        if not settings.llm_model:
            raise ConfigError("no LLM configured: set RAG_LLM_MODEL and OPENAI_BASE_URL (and OPENAI_API_KEY "
                              "for a cloud API), or start one with `rag serve-llm`")
        self.model = settings.llm_model
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        if client is None:
            import openai
            client = openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key or "not-needed",
                                   timeout=settings.llm_timeout, max_retries=1)
        self.client = client
        self.finish_reason: str | None = None

    def _request(self, messages: list[dict], stream: bool, max_tokens: int):
        import openai
        try:
            return self.client.chat.completions.create(model=self.model, messages=messages, stream=stream,
                                                       temperature=0.1, max_tokens=max_tokens)
        except openai.APITimeoutError as exc:
            raise LLMError(f"the LLM at {self.base_url} timed out") from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach the LLM at {self.base_url} ({exc.__cause__ or exc})") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"the LLM at {self.base_url} answered HTTP {exc.status_code}: "
                           f"{str(exc.message)[:200]}") from exc
        except openai.OpenAIError as exc:
            raise LLMError(f"the LLM call failed: {exc}") from exc
        except ValueError as exc:  # a 200 response whose body is not JSON
            raise LLMError(f"the LLM at {self.base_url} answered with a malformed response ({exc})") from exc

    def complete(self, messages: list[dict], max_tokens: int = 700) -> str:
        response = self._request(messages, False, max_tokens)
        try:
            text = response.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:  # TypeError: "choices" missing or null
            raise LLMError(f"the LLM at {self.base_url} returned no choices") from exc
        if not text.strip():
            raise LLMError(f"the LLM at {self.base_url} returned an empty answer")
        return text

    def stream(self, messages: list[dict], max_tokens: int = 700) -> Iterator[str]:
        """Yield the answer's pieces; a stream that ends without a finish reason was cut off: LLMError.

        `finish_reason` holds the reason the last complete stream gave ("stop", or "length" when cut at
        max_tokens)."""
        import openai
        self.finish_reason = None
        response = self._request(messages, True, max_tokens)
        produced, finished = False, None
        try:
            for event in response:
                choices = getattr(event, "choices", None)
                if not choices:
                    continue
                piece = getattr(getattr(choices[0], "delta", None), "content", None) or ""  # tolerate chunks without a delta
                if piece:
                    produced = True
                    yield piece
                finished = getattr(choices[0], "finish_reason", None) or finished
        except (openai.OpenAIError, OSError, ValueError) as exc:  # ValueError: a chunk that is not JSON
            raise LLMError(f"the LLM stream from {self.base_url} broke off ({exc})") from exc
        if not produced:
            raise LLMError(f"the LLM at {self.base_url} streamed an empty answer (no text; "
                           "is the endpoint an OpenAI-compatible chat server?)")
        if finished is None:
            raise LLMError(f"the LLM stream from {self.base_url} ended without a finish reason (cut off)")
        self.finish_reason = finished
