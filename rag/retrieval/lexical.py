"""BM25 over jieba tokens of simplified-script text: an inverted index kept in numpy arrays.

The index is built once at `rag index` time and saved beside the vectors; a load memory-maps the
arrays (nothing is tokenized at start). Each posting holds its precomputed term-frequency part
`tf·(k1+1)/(tf+norm)` (`part`), so a query costs one multiply-add per posting of its tokens.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

STOPWORDS = set("的 了 是 在 和 与 及 等 为 对 把 被 也 都 而 或 并 其 之 中 上 下 个 年 月 日 多少 什么 哪些 哪个 "
                "怎么 如何 吗 呢 请问 是否 有 有何 几 啥 还 又 您 我 我们 你 哪几 几个 哪几个 哪两 哪三 哪 分别 是多少 "
                "多少个 几项 几家 the a an of in to for and what "
                "how which was were is are did does do by on".split())
_KEEP = re.compile(r"[\w.%]+")
FILES = ("bm25_ptr.npy", "bm25_docs.npy", "bm25_tf.npy", "bm25_lengths.npy", "bm25_part.npy")


@lru_cache(maxsize=1)
def jieba_engine():  # the one configured jieba, shared with place-name boundaries
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stopwords."""
    tokens = []
    for token in jieba_engine().cut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOPWORDS and _KEEP.fullmatch(token):
            tokens.append(token)
    return tokens


class TermWeights(Mapping):
    """IDF of every term, read from the index arrays on demand (a dict of them would grow with the corpus)."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray):
        self._vocab, self._idf = vocab, idf

    def __getitem__(self, token: str) -> float:
        return float(self._idf[self._vocab[token]])

    def __contains__(self, token) -> bool:
        return token in self._vocab

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocab)

    def __len__(self) -> int:
        return len(self._vocab)

    def values(self):
        return self._idf.tolist()


class BM25:
    """Okapi BM25 with an inverted index in arrays; `BM25(token_lists)` builds it in memory."""

    def __init__(self, documents: list[list[str]] | None = None, k1: float = 1.2, b: float = 0.75):
        vocab: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = []
        for doc_id, tokens in enumerate(documents or []):
            lengths.append(len(tokens))
            for token, count in Counter(tokens).items():
                rows.append(vocab.setdefault(token, len(vocab)))
                cols.append(doc_id)
                counts.append(count)
        self._setup(vocab, *postings_from_triples(np.array(rows, dtype="int64"), np.array(cols, dtype="int32"),
                                                  np.array(counts, dtype="float32"), len(vocab)),
                    np.array(lengths, dtype="float32"), k1, b)

    @classmethod
    def from_arrays(cls, vocab: dict[str, int], ptr: np.ndarray, docs: np.ndarray, tf: np.ndarray,
                    lengths: np.ndarray, k1: float = 1.2, b: float = 0.75, part: np.ndarray | None = None) -> BM25:
        """An index over postings already grouped by term: term t's postings are [ptr[t], ptr[t+1])."""
        self = cls.__new__(cls)
        self._setup(vocab, ptr, docs, tf, lengths, k1, b, part)
        return self

    def _setup(self, vocab, ptr, docs, tf, lengths, k1, b, part=None) -> None:
        self.k1, self.b = k1, b
        self.vocab, self.ptr, self.docs, self.tf, self.lengths = vocab, ptr, docs, tf, lengths
        self.size = len(lengths)
        self.avg_length = float(np.mean(lengths)) if self.size else 0.0
        df = np.diff(ptr).astype("float64")
        self.idf_array = np.log(1 + (self.size - df + 0.5) / (df + 0.5)) if len(df) else np.zeros(0)
        self.idf = TermWeights(vocab, self.idf_array)
        if part is None:
            norm = k1 * (1 - b + b * np.asarray(lengths)[docs] / max(self.avg_length, 1e-9))
            part = (tf * (k1 + 1) / (tf + norm)).astype("float32")
        self.part = part

    def scores(self, query_tokens: list[str], token_weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 of every document; `token_weights` scales some query tokens (default 1)."""
        scores = np.zeros(self.size, dtype="float32")
        token_weights = token_weights or {}
        for token in set(query_tokens):
            term = self.vocab.get(token)
            if term is None:
                continue
            lo, hi = int(self.ptr[term]), int(self.ptr[term + 1])
            weight = np.float32(self.idf_array[term] * token_weights.get(token, 1.0))
            scores[self.docs[lo:hi]] += self.part[lo:hi] * weight
        return scores

    def top(self, query_tokens: list[str], token_weights: dict[str, float] | None, n: int,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, scores) of the n best documents with a positive score, best first, within `mask`."""
        scores = self.scores(query_tokens, token_weights)
        if mask is not None:
            scores[~mask] = 0
        return top_positive(scores, n)

    # --- persistence ---------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        (directory / "bm25_vocab.json").write_text(
            json.dumps({"k1": self.k1, "b": self.b, "terms": list(self.vocab)}, ensure_ascii=False),
            encoding="utf-8")
        for name, array in zip(FILES, (self.ptr, self.docs, self.tf, self.lengths, self.part)):
            np.save(directory / name, np.ascontiguousarray(array))

    @classmethod
    def load(cls, directory: Path) -> BM25:
        meta = json.loads((directory / "bm25_vocab.json").read_text(encoding="utf-8"))
        ptr, docs, tf, lengths, part = (np.load(directory / name, mmap_mode="r") for name in FILES)
        vocab = {term: i for i, term in enumerate(meta["terms"])}
        if not (len(ptr) == len(vocab) + 1 and len(docs) == len(tf) == len(part) == (ptr[-1] if len(ptr) else 0)):
            raise ValueError("BM25 arrays do not fit together")
        return cls.from_arrays(vocab, ptr, docs, tf, lengths, k1=meta["k1"], b=meta["b"], part=part)

    def document_tokens(self) -> list[dict[str, int]]:
        """Term counts of every document (to carry unchanged documents into the next index)."""
        terms = list(self.vocab)
        found: list[dict[str, int]] = [{} for _ in range(self.size)]
        for term in range(len(terms)):
            lo, hi = int(self.ptr[term]), int(self.ptr[term + 1])
            for doc, count in zip(self.docs[lo:hi].tolist(), self.tf[lo:hi].tolist()):
                found[doc][terms[term]] = int(count)
        return found


def postings_from_triples(terms: np.ndarray, docs: np.ndarray, counts: np.ndarray,
                          vocabulary: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group (term, doc, count) triples by term, documents ascending within a term: (ptr, docs, tf)."""
    order = np.lexsort((docs, terms))
    ptr = np.zeros(vocabulary + 1, dtype="int64")
    np.cumsum(np.bincount(terms, minlength=vocabulary), out=ptr[1:])
    return ptr, docs[order].astype("int32"), counts[order].astype("float32")


def top_positive(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the n highest positive scores, highest first, ties by id (as a stable sort)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        cut = np.partition(scores[positive], len(positive) - n)[len(positive) - n]
        positive = positive[scores[positive] >= cut]
    order = np.lexsort((positive, -scores[positive]))[:n]
    ids = positive[order]
    return ids, scores[ids]


def bm25_from_counts(doc_counts: list[dict[str, int]], lengths: list[int], k1: float = 1.2,
                     b: float = 0.75) -> BM25:
    """An index from per-document term counts (tokens of unchanged documents are not re-read)."""
    vocab: dict[str, int] = {}
    terms, docs, counts = [], [], []
    for doc_id, doc in enumerate(doc_counts):
        for token, count in doc.items():
            terms.append(vocab.setdefault(token, len(vocab)))
            docs.append(doc_id)
            counts.append(count)
    ptr, docs_array, tf = postings_from_triples(np.array(terms, dtype="int64"), np.array(docs, dtype="int32"),
                                                np.array(counts, dtype="float32"), len(vocab))
    return BM25.from_arrays(vocab, ptr, docs_array, tf, np.array(lengths, dtype="float32"), k1, b)

