"""Answer latency: time to first streamed piece and total time, extractive and local LLM.

    python bench/answer.py [--n 10] [--llm qwen2.5-1.5b|gemma3-270m|none] [--k 5] [--contexts sentences]
                           [--engines xllamacpp,native]

Starts the local llama.cpp server itself (needs `pip install -e ".[llm]"`, plus `.[qwen]` for Qwen)
and asks the same N questions of eval/questions.jsonl (answerable ones, every type) in each mode:
extractive, then the LLM reading whole passages (the old prompt, RAG_LLM_CONTEXT=passages), then the
LLM reading the selected sentences only (the default).
"""
from __future__ import annotations

import argparse
import statistics
import time

import rag
from rag.answering import Answerer
from rag.config import Settings
from rag.evaluation import load_questions


def timed_answers(answerer: Answerer, questions: list[str], mode: str, k: int) -> list[tuple[float, float, str]]:
    rows = []
    for question in questions:
        started = time.perf_counter()
        first = None
        final = None
        for piece in answerer.stream(question, k=k, mode=mode):
            if first is None:
                first = time.perf_counter() - started
            if isinstance(piece, rag.Answer):
                final = piece
        rows.append((first * 1000, (time.perf_counter() - started) * 1000, final.mode))
    return rows


def summarise(name: str, rows: list[tuple[float, float, str]]) -> str:
    ttft = [r[0] for r in rows]
    total = [r[1] for r in rows]
    modes = {r[2] for r in rows}
    return (f"| {name} | {len(rows)} | {statistics.median(ttft):.0f} | {max(ttft):.0f} | "
            f"{statistics.median(total):.0f} | {max(total):.0f} | {', '.join(sorted(modes))} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--llm", default="qwen2.5-1.5b", help="bundled model name, a .gguf path, or none")
    parser.add_argument("--contexts", default="passages,sentences", help="LLM prompt kinds to time, in order")
    parser.add_argument("--engines", default="xllamacpp,native",
                        help="llama.cpp servers to time: the xllamacpp wheel, and the one built for this CPU "
                             "(scripts/build_llama_server.py; skipped when not built)")
    args = parser.parse_args()
    answerable = [q for q in load_questions("eval/questions.jsonl") if q.answerable]
    step = max(1, len(answerable) // args.n)  # spread over the file, so every type is timed
    questions = [q.question for q in answerable[::step]][: args.n]
    retriever = rag.api.default_retriever()
    extractive = Answerer(retriever, Settings.from_env())
    timed_answers(extractive, questions[:2], "extractive", args.k)  # warm-up
    print("| mode | answers | first piece p50 ms | first piece max ms | total p50 ms | total max ms | served by |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(summarise("extractive", timed_answers(extractive, questions, "extractive", args.k)))
    if args.llm == "none":
        return
    from rag.llm_server import native_server, resolve_model, start_server
    native = native_server()
    for engine in args.engines.split(","):
        if engine == "native" and native is None:
            print("| native llama-server | – | not built (python scripts/build_llama_server.py) | | | | |")
            continue
        with start_server(resolve_model(args.llm), engine=str(native) if engine == "native" else "xllamacpp") as server:
            settings = Settings.from_env().with_overrides(llm_base_url=server.base_url, llm_api_key="local",
                                                          llm_model=server.model, llm_timeout=300.0)
            for context in args.contexts.split(","):
                llm = Answerer(retriever, settings.with_overrides(llm_context=context))
                timed_answers(llm, questions[:1], "llm", args.k)  # warm-up: weights, the system prompt's cache
                rows = timed_answers(llm, questions, "llm", args.k)
                print(summarise(f"llm {server.model} on {engine}, reads {context}", rows))

if __name__ == "__main__":
    main()
