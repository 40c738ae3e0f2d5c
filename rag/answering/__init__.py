"""Answers with verified citations: LLM through an OpenAI-compatible endpoint, or extractive."""
from .answerer import Answerer

__all__ = ["Answerer"]
