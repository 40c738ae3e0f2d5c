"""BM25 over jieba tokens of simplified-script text."""
from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np

STOPWORDS = set("的 了 是 在 和 与 及 等 为 对 把 被 也 都 而 或 并 其 之 中 上 下 个 年 月 日 多少 什么 哪些 哪个 "
                "怎么 如何 吗 呢 请问 是否 有 有何 几 啥 还 又 您 我 我们 你 哪几 几个 哪几个 哪两 哪三 哪 分别 是多少 "
                "多少个 几项 几家 the a an of in to for and what "
                "how which was were is are did does do by on".split())
_KEEP = re.compile(r"[\w.%]+")


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stopwords."""
    tokens = []
    for token in _jieba().cut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOPWORDS and _KEEP.fullmatch(token):
            tokens.append(token)
    return tokens


class BM25:
    """Okapi BM25 with an inverted index; scores all documents for a query in one pass."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.size = len(documents)
        self.lengths = np.array([len(d) for d in documents], dtype="float32")
        self.avg_length = float(self.lengths.mean()) if self.size else 0.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc_id, tokens in enumerate(documents):
            for token, count in Counter(tokens).items():
                postings.setdefault(token, []).append((doc_id, count))
        self.postings = {t: (np.array([d for d, _ in p]), np.array([c for _, c in p], dtype="float32"))
                         for t, p in postings.items()}
        self.idf = {t: math.log(1 + (self.size - len(p[0]) + 0.5) / (len(p[0]) + 0.5))
                    for t, p in self.postings.items()}
        self.norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg_length, 1e-9))

    def scores(self, query_tokens: list[str], token_weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 of every document; `token_weights` scales some query tokens (default 1)."""
        scores = np.zeros(self.size, dtype="float32")
        token_weights = token_weights or {}
        for token in set(query_tokens):
            posting = self.postings.get(token)
            if posting is None:
                continue
            ids, tf = posting
            weight = self.idf[token] * token_weights.get(token, 1.0)
            scores[ids] += weight * tf * (self.k1 + 1) / (tf + self.norm[ids])
        return scores
