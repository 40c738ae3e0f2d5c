"""From a question to an Answer: scope check, retrieval, LLM or extractive text, citation check."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace

from ..config import Settings
from ..errors import ConfigError, LLMError
from ..retrieval.query import analyse, check_question
from ..textnorm import to_simplified
from ..types import Answer, Citation, Passage, Scope
from .citations import NUMBER, check_citations
from .claims import ClaimCheck, claim_problems, describe
from .direct import (
    HEAD_WORDS,
    LISTING,
    asked_items,
    asks_several,
    direct_value,
    is_rate,
    is_threshold,
    item_value,
    says_change,
    whose,
)
from .extractive import (
    QUANTITY,
    SENTENCE,
    ExtractiveConfig,
    SentenceScorer,
    asked_unit,
    asks_amount,
    evidence_sentences,
    metric_names,
    on_side,
    own_metrics,
    part_years_of,
    select_sentences,
    without_which_is_more,
    years_named,
)
from .followup import is_follow_up, normalise_history, rewrite_follow_up
from .injection import addresses_assistant, instruction_cues
from .prompts import load_prompts
from .quoting import fence_tag, prompt_text, prompt_title
from .scope import ambiguity_note, missing_note, narrow_namesakes, out_of_scope

log = logging.getLogger(__name__)
MODES = ("auto", "llm", "extractive")
NO_LLM_NOTE = {False: "（未使用大语言模型：以上为报告原文摘录。）",
               True: "(No LLM was used: these are verbatim excerpts from the reports.)"}
FALLBACK_NOTICE = {False: "\n\n（大语言模型连接中断，以下改为报告原文摘录。）\n\n",
                   True: "\n\n(The LLM stream failed; an extractive answer follows.)\n\n"}
UNVERIFIED = {False: "（未核实）", True: " (unverified)"}
QUOTE_INTRO = {False: "根据报告原文：", True: "From the reports (verbatim excerpts):"}
DIRECT_INTRO = {False: "答：", True: "Answer: "}
LLM_CONTEXTS = ("clauses", "sentences", "passages")
LLM_MAX_TOKENS = 256  # one or two sentences; a longer answer is cut and falls back
READ_BEYOND = 3  # passages per side read for sentences beyond the k shown (an answer ranked just below k)


def _wrong_language(text: str, english: bool) -> bool:
    """An answer mostly in Latin letters to a Chinese question, or mostly in Chinese to an English one."""
    body = re.sub(r"\[\d+\]|（未核实）|\(unverified\)", "", text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in body)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in body)
    return latin > 3 * han if not english else han > 3 * latin and han > 20


class Answerer:
    """Answers with one retriever; the LLM is used when configured (or asked for) and reachable."""

    def __init__(self, retriever, settings: Settings | None = None, chat=None,
                 extractive: ExtractiveConfig | None = None):
        self.retriever = retriever
        self.settings = settings or Settings.from_env()
        self._chat = chat
        self.prompts = load_prompts()
        if self.settings.llm_context not in LLM_CONTEXTS:
            raise ConfigError(f"RAG_LLM_CONTEXT={self.settings.llm_context!r}: use one of {', '.join(LLM_CONTEXTS)}")
        self.scorer = SentenceScorer(retriever.term_weights(), extractive or ExtractiveConfig(), retriever.embedder)

    @property
    def chat(self):
        if self._chat is None:
            from .llm import ChatModel
            self._chat = ChatModel(self.settings)
        return self._chat

    def mode_for(self, mode: str) -> str:
        if mode not in MODES:
            raise ConfigError(f"unknown answer mode {mode!r}; use one of {', '.join(MODES)}")
        if mode == "auto":
            return "llm" if (self._chat is not None or self.settings.llm_configured) else "extractive"
        return mode

    def answer(self, question: str, *, k: int = 5, history: list | None = None, mode: str = "auto",
               scope: Scope | None = None) -> Answer:
        result = None
        for item in self.stream(question, k=k, history=history, mode=mode, scope=scope):
            if isinstance(item, Answer):
                result = item
        return result

    def stream(self, question: str, *, k: int = 5, history: list | None = None,
               mode: str = "auto", scope: Scope | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are produced, then the final, citation-checked Answer.

        `scope` limits the reports answered from; the corpus a refusal describes is that scope's."""
        question = check_question(question, k, self.settings.max_question_chars)
        mode = self.mode_for(mode)
        warnings: list[str] = self.retriever.index_warnings()
        if mode == "llm" and self._chat is None and not self.settings.llm_model:
            warnings.append("no LLM configured (set RAG_LLM_MODEL and OPENAI_BASE_URL, or run `rag serve-llm`); "
                            "answered extractively instead")
            mode = "extractive"
        standalone = self._standalone(question, history, mode, warnings)
        rewritten = standalone if standalone != question else None
        corpus = self.retriever.corpus_for(scope)
        analysis = narrow_namesakes(self.retriever.analyse(standalone, scope), corpus)
        english = analyse(question).english
        why_not = out_of_scope(analysis, corpus, english)
        if why_not:
            text = f"{self.prompts.refusal(english)}{' ' if english else ''}{why_not}"
            yield text
            yield Answer(question, text, refused=True, mode=mode, warnings=warnings, rewritten_question=rewritten)
            return
        shown = k * len(analysis.sides())
        passages = self.retriever.retrieve(standalone, k=(k + READ_BEYOND) * len(analysis.sides()),
                                           analysis=analysis, scope=scope)
        warnings += injection_warnings(passages)
        for note in (missing_note(analysis, english), ambiguity_note(analysis, english)):
            if note:
                warnings.append(note)
        if mode == "llm":
            streamed = False
            try:
                for piece in self._generate(question, standalone, rewritten, analysis, passages, shown, english,
                                            warnings):
                    streamed = streamed or isinstance(piece, str)
                    yield piece
                return
            except LLMError as exc:
                warnings.append(f"LLM unavailable ({exc}); answered extractively instead")
                log.warning(warnings[-1])
                if streamed:  # the user saw part of an answer: say why another one follows
                    yield FALLBACK_NOTICE[english]
        yield from self._extract(question, rewritten, analysis, passages, shown, english, warnings)

    def _standalone(self, question: str, history: list | None, mode: str, warnings: list[str]) -> str:
        turns = normalise_history(history)
        if not turns or not is_follow_up(question, has_history=True):
            return question
        if mode == "llm" and self.settings.llm_rewrite:  # opt-in: a strong model may rewrite better than the rules
            try:
                prompt = self.prompts.render("rewrite", history=turns[-3:], question=question)
                rewritten = self.chat.complete([{"role": "user", "content": prompt}], max_tokens=120)
                rewritten = rewritten.strip().splitlines()[0].strip() if rewritten.strip() else ""
                if rewritten:
                    return rewritten
            except LLMError as exc:
                warnings.append(f"could not rewrite the follow-up with the LLM ({exc})")
        return rewrite_follow_up(question, turns)

    def _generate(self, question: str, standalone: str, rewritten: str | None, analysis,
                  passages: list[Passage], shown: int, english: bool, warnings: list[str]) -> Iterator[str | Answer]:
        """The model answers from the selected sentences only (short prompt, exact citations); its
        numbers are claim-checked against them. `shown`: how many of `passages` are the sources shown."""
        refusal = self.prompts.refusal(english)
        used: set[int] = set()
        if self.settings.llm_context == "passages":  # whole passages: more context, a longer prompt
            quoted = [run for p in passages[:shown] for run in unflagged_runs(p)]
        else:
            evidence = evidence_sentences(analysis, passages, self.scorer,
                                          clauses=self.settings.llm_context == "clauses")
            quoted = [replace(passages[s.passage], text=s.text, start=s.start, end=s.end) for s in evidence]
            used = {s.passage for s in evidence}
        sources = _sources(passages, shown, used)
        if not quoted:  # the refusal gate found nothing: no model call, the same refusal as extractive
            yield refusal
            yield Answer(question, refusal, refused=True, mode="llm", warnings=warnings, model=self.chat.model,
                         passages=sources, rewritten_question=rewritten)
            return
        quoted.sort(key=lambda p: (p.source, p.start))  # one title line per report, sentences in reading order
        shown = [replace(p, text=prompt_text(p.text), title=prompt_title(p.title, p.facts)) for p in quoted]
        messages = [
            {"role": "system", "content": self.prompts.render("system", refusal=refusal)},
            {"role": "user", "content": self.prompts.render("user", passages=shown, question=standalone,
                                                            tag=fence_tag())},
        ]
        pieces = []
        for piece in self.chat.stream(messages, max_tokens=LLM_MAX_TOKENS):
            pieces.append(piece)
            yield piece
        raw = "".join(pieces).strip()
        if getattr(self.chat, "finish_reason", None) == "length":
            warnings.append(f"the model's answer was cut at {LLM_MAX_TOKENS} tokens; its end may be missing")
        refusals = (refusal, self.prompts.refusal(not english))
        refused = any(r in raw for r in refusals)
        checked = check_citations(raw, quoted, standalone, UNVERIFIED[english], analysis,
                                  metric_names(analysis, self.scorer.query_weights(analysis)))
        unverified: list[str] = []
        if refused:
            text, citations = refusal, []
            rest = raw
            for r in refusals:
                rest = rest.replace(r, "")
            if checked.citations() or re.search(r"\d", rest):
                warnings.append("the model gave the refusal sentence together with an answer; shown as a refusal")
        else:
            text, citations, unverified = checked.text, checked.citations(), checked.unverified
            warnings += checked.warnings
            if not citations:
                warnings.append("the model's answer cites no passage; treat it with care")
            if _wrong_language(text, english):
                warnings.append("the model answered in another language than the question's")
        yield Answer(question, text, citations, refused=refused, mode="llm", warnings=warnings,
                     model=self.chat.model, passages=sources, rewritten_question=rewritten, unverified=unverified)

    def _extract(self, question: str, rewritten: str | None, analysis, passages: list[Passage], shown: int,
                 english: bool, warnings: list[str]) -> Iterator[str | Answer]:
        chosen = select_sentences(analysis, passages, self.scorer)
        if not chosen:
            text = f"{self.prompts.refusal(english)}\n\n{NO_LLM_NOTE[english]}"
            yield text
            yield Answer(question, text, refused=True, mode="extractive", warnings=warnings,
                         passages=passages[:shown], rewritten_question=rewritten)
            return
        chosen = self._focused(analysis, chosen, passages)
        citations: list[Citation] = []
        for sentence in chosen:  # one citation per quoted sentence, pointing at exactly that sentence
            passage = passages[sentence.passage]
            citations.append(Citation(marker=len(citations) + 1, source=passage.source, title=passage.title,
                                      text=sentence.text, start=sentence.start, end=sentence.end,
                                      page=passage.page, facts=passage.facts))
        unsure = unsure_place_warnings(citations, english)
        warnings += unsure
        lines, failed = self._direct_lines(analysis, chosen, passages, english)
        lines += [f"（{n}）" for n in unsure]
        warnings += [describe(check) for check in failed]
        note = ambiguity_note(analysis, english)
        if note:
            lines.insert(0, note)
        lines.append(QUOTE_INTRO[english])
        lines += [f"《{passages[s.passage].title}》「{s.text}」[{n}]" for n, s in enumerate(chosen, start=1)]
        text = "\n".join(lines) + f"\n\n{NO_LLM_NOTE[english]}"
        yield from text.splitlines(keepends=True)
        yield Answer(question, text, citations, refused=False, mode="extractive", warnings=warnings,
                     passages=_sources(passages, shown, {s.passage for s in chosen}), rewritten_question=rewritten,
                     unverified=[c.number for c in failed])

    def _focused(self, analysis, chosen: list, passages: list[Passage]) -> list:
        """A question asking one figure, answered by a checked figure: the sentence that states it alone (the
        runners-up beside it are other figures of the same report, and would be cited as if they were evidence)."""
        if len(chosen) < 2 or not QUANTITY.search(analysis.simplified) or _lists(analysis) \
                or analysis.is_comparison or asks_several(analysis):
            return chosen
        best = self._figure(analysis, chosen, passages, False)
        if best is None or best[3].problems:
            return chosen
        return [chosen[best[0] - 1]]

    def _direct_lines(self, analysis, chosen, passages: list[Passage], english: bool) -> tuple[list[str], list[ClaimCheck]]:
        """"答：海珠区2023年为2720.16亿元[1]" per side, when the question asks for a figure and one is clear;
        a question asking several figures of one place gets one line naming each, or none when one is not
        found (a line with one of them would read as the whole answer). A figure the claim check cannot
        confirm is labelled and returned with what is wrong."""
        if not QUANTITY.search(analysis.simplified) or _lists(analysis):
            return [], []  # names and lists are answered by the quotes themselves
        if not analysis.is_comparison and asks_several(analysis):
            return self._item_lines(analysis, chosen, passages, english)
        lines, failed = [], []
        sides = analysis.sides() if analysis.is_comparison else [analysis]
        own = own_metrics(analysis, self.scorer)
        for side in sides:
            if side.places and side.places[0] in own:  # "A的X和B的Y": each side's figure is checked against its metric
                side = own[side.places[0]]
            best = self._figure(side, chosen, passages, len(sides) > 1)
            if best:
                number, passage, value, check = best
                label = UNVERIFIED[english] if check.problems else ""
                if check.problems:
                    failed.append(check)
                who = whose(passage, side, english)
                line = (f"{DIRECT_INTRO[english]}{who}: {value} [{number}]{label}" if english
                        else f"{DIRECT_INTRO[english]}{who}{'' if says_change(value) else '为'}{value}[{number}]{label}。")
                if line not in lines:  # namesakes answered from one report that does not say which it is of
                    lines.append(line)
            elif len(sides) > 1 and lines:  # a comparison must not read as if every side were answered
                lines.append(_side_not_found(side, english))
        return lines, failed

    def _item_lines(self, analysis, chosen, passages: list[Passage], english: bool) -> tuple[list[str], list[ClaimCheck]]:
        """"答：黄埔区充电桩为2894个[1]，加氢站为5个[1]。": each listed item's figure, read right by its name."""
        items = asked_items(analysis)
        found = []
        for item in items:
            item_question = replace(analysis, text=f"{item}是多少", simplified=f"{item}是多少")
            for number, sentence in enumerate(chosen, start=1):
                value = item_value(item, sentence.text)
                if value:
                    passage = passages[sentence.passage]
                    names = metric_names(item_question, self.scorer.query_weights(item_question))
                    found.append((number, passage, value,
                                  _checked(value, sentence.text, passage, item_question, names, False)))
                    break
        if len(items) < 2 or len(found) < len(items) or len({value for _, _, value, _ in found}) < len(found) \
                or any(is_rate(value) and not RATE_ITEM.search(item) for item, (_, _, value, _) in zip(items, found)):
            return [], []  # one missing, two items given one figure, or a rate for an amount ("GDP规模"): no line
        parts, failed = [], []
        for item, (number, _, value, check) in zip(items, found):
            parts.append(f"{item}为{value}[{number}]{UNVERIFIED[english] if check.problems else ''}")
            if check.problems:
                failed.append(check)
        return [f"{DIRECT_INTRO[english]}{whose(found[0][1], analysis, english)}{'，'.join(parts)}。"], failed

    def _figure(self, side, chosen, passages: list[Passage], per_side: bool):
        """(marker, passage, value, claim check) of the figure answering `side` among the chosen sentences:
        a checked figure first, a mark passed ("跨入3000亿元") last, then the better sentence; None if none."""
        unit = asked_unit(side)
        weights = self.scorer.query_weights(side)
        names = metric_names(side, weights)
        heads = [n for n in names if n in HEAD_WORDS]  # the head (产量) after the rarer words that say whose it is
        words = [n for n in names if n not in heads] + sorted((t for t in weights if t not in heads),
                                                             key=lambda t: -weights[t]) + heads
        amount = asks_amount(side)
        found = []
        for number, sentence in enumerate(chosen, start=1):
            passage = passages[sentence.passage]
            if per_side and not (on_side(passage, side) and _names_side_year(sentence, passage, side)):
                continue
            value = direct_value(sentence.text, side, unit, words)
            if value:
                check = _checked(value, sentence.text, passage, side, names, amount)
                unnamed = bool(names) and names[0] not in to_simplified(sentence.text)  # the asked metric's own name
                found.append((bool(check.problems), is_threshold(sentence.text, value), unnamed, -sentence.score,
                              number, passage, value, check))
        if not found:
            return None
        *_, number, passage, value, check = min(found, key=lambda item: item[:5])
        return number, passage, value, check


def _sources(passages: list[Passage], shown: int, used: set[int]) -> list[Passage]:
    """The passages an answer lists as its sources: the first `shown`, and any read beyond them that it quotes."""
    return passages[:shown] + [p for i, p in enumerate(passages) if i >= shown and i in used]


def _lists(analysis) -> bool:
    """Does the question ask for names or a list ("哪些", "what are"), not figures ("哪个更快" compares figures)?"""
    return bool(LISTING.search(without_which_is_more(analysis.simplified)))


def _checked(value: str, sentence: str, passage: Passage, side, names: list[str], amount: bool) -> ClaimCheck:
    """The claim check of a direct line's figure ("2720.16亿元") as `sentence` states it."""
    digits = NUMBER.search(value.replace(",", ""))
    figure = digits.group() if digits else value  # a rank in words ("全市第三") is checked as written
    return ClaimCheck(figure, sentence, claim_problems(figure, sentence, passage, side, names, amount))


RATE_ITEM = re.compile(r"增|速|率|比重|比例|占|幅|百分")


def _side_not_found(side, english: bool) -> str:
    """"答：广州市越秀区2020年：所引报告中没有找到这一数字。" for a compared side no quoted sentence answers."""
    place = side.places[0].label if side.places else ""
    year = f"{side.years[0]}" if len(side.years) == 1 else ""
    if english:
        return f"{DIRECT_INTRO[english]}{', '.join(x for x in (place, year) if x)}: not found in the quoted reports"
    return f"{DIRECT_INTRO[english]}{place}{year + '年' if year else ''}：所引报告中没有找到这一数字。"


def _names_side_year(sentence, passage: Passage, side) -> bool:
    """For a comparison of years: the sentence names this side's year, or the paragraph it opens ("2008年,全县…;
    全社会固定资产投资完成101亿元"), or its report part is about it alone."""
    if len(side.years) != 1:
        return True
    mentioned = years_named(sentence.text)
    if mentioned:
        return side.years[0] in mentioned
    return side.years[0] in part_years_of(sentence, passage)  # last year in a work report's review, not its look-back


def unsure_place_warnings(citations: list[Citation], english: bool) -> list[str]:
    """Say so when a quoted report does not tell which of several same-name places issued it."""
    notes = []
    for facts in dict.fromkeys(c.facts for c in citations if c.facts and c.facts.place_candidates):
        names = "、".join(key.replace("/", "") for key in facts.place_candidates)
        notes.append(f"《{facts.title}》 does not say which of {names} issued it" if english
                     else f"《{facts.title}》未写明是哪一个地方的报告（{names}之一）")
    return notes


def unflagged_runs(passage: Passage) -> list[Passage]:
    """The passage cut around the sentences that address the assistant: runs of ordinary sentences,
    each with exact offsets (a forged or commanding sentence never reaches a model or a citation)."""
    runs, start, end = [], None, None
    for match in SENTENCE.finditer(passage.text):
        if addresses_assistant(match.group()):
            if start is not None:
                runs.append((start, end))
            start = None
            continue
        start = match.start() if start is None else start
        end = match.end()
    if start is not None:
        runs.append((start, end))
    return [replace(passage, text=passage.text[a:b], start=passage.start + a, end=passage.start + b)
            for a, b in runs if passage.text[a:b].strip()]


def injection_warnings(passages: list[Passage]) -> list[str]:
    """Name the passages that contain instructions aimed at the assistant (they are treated as data)."""
    warnings = []
    for passage in passages:
        cues = instruction_cues(passage.text)
        if cues:
            warnings.append(f"passage from {passage.title} contains instructions to the assistant "
                            f"({', '.join(cues)}); they were treated as data, not obeyed, and are never quoted")
    return warnings
