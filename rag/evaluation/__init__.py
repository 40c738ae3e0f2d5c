"""Evaluate retrieval and answers against a JSONL question set; write JSON/MD/PNG reports."""
from rag.evaluation.questions import Question, load_questions
from rag.evaluation.runner import evaluate

__all__ = ["Question", "evaluate", "load_questions"]
