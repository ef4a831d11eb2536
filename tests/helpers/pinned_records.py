"""Fixed records for the tests that pin metric values (tests/unit/test_pinned_metrics.py).

ASR and translation records are scored by the real scorers (their per-sample statistics are pinned
too); multiple-choice, label and judge records carry fixed Scores, so the pinned aggregation does not
move when an answer extractor improves. Every kind of record the aggregation meets is here: several
languages and subsets, failed samples, empty and refused answers, wrong-language answers, several
references, a retried sample superseded by its later record, unscored judge items, a partial task."""

from __future__ import annotations

import random

from seabench.metrics import MacroF1
from seabench.metrics.aggregate import Accuracy, MeanMetric, flag_rates
from seabench.scoring import score_record
from seabench.task import Task
from seabench.tasks.asr import asr
from seabench.tasks.s2tt import s2tt
from seabench.types import ErrorCode, ModelOutput, Sample, SampleRecord, Score

EN = "the weather today is very good we go to the market to buy rice and two fish tickets for the train".split()
MS = "saya pergi ke pasar untuk membeli beras dan dua ekor ikan pagi ini cuaca sangat baik".split()
TH = "วันนี้ อากาศ ดี มาก เรา ไป ตลาด ซื้อ ข้าว ปลา สอง ตัว ตั๋ว รถไฟ กรุงเทพ".split()
ZH = list("今天天气很好我们去市场买米和两条鱼火车票")
VOCAB = {"en": (EN, " "), "ms": (MS, " "), "th": (TH, ""), "zh": (ZH, "")}
SPECIAL = {3: "", 7: "Sorry, I cannot help with transcribing this audio.", 11: "<think>hmm</think>",
           14: "Ini adalah jawaban dalam bahasa yang salah sama sekali untuk soal ini"}


def _sentence(rng: random.Random, lang: str) -> str:
    words, sep = VOCAB[lang]
    return sep.join(rng.choice(words) for _ in range(rng.randint(4, 12)))


def _corrupt(rng: random.Random, text: str, lang: str) -> str:
    words, sep = VOCAB[lang]
    tokens = text.split(sep) if sep else list(text)
    out = []
    for token in tokens:
        r = rng.random()
        if r < 0.08:
            continue
        out.append(rng.choice(words) if r < 0.2 else token)
        if rng.random() < 0.05:
            out.append(rng.choice(words))
    return sep.join(out)


def _answers(rng: random.Random, variant: int) -> random.Random:
    """Where answers are drawn from: variant 0 continues the samples' stream (the pinned values)."""
    return rng if variant == 0 else random.Random(1000 + variant)


def _record(task: Task, sample: Sample, text: str | None, error: ErrorCode | None = None) -> SampleRecord:
    record = SampleRecord(run_id="pinned", task=task.name, sample_id=sample.id, language=sample.language,
                          target_language=sample.target_language, reference=sample.reference, choices=sample.choices,
                          label=sample.label, metadata=sample.metadata)
    if error is not None:
        record.output = ModelOutput(error="boom", error_code=error)
        record.error_code, record.error_message = error, "boom"
    else:
        record.output = ModelOutput(text=text or "")
    return record


def _scored(task: Task, samples: list[Sample], outputs: dict[str, str | None],
            errors: dict[str, ErrorCode]) -> list[SampleRecord]:
    records = []
    for s in samples:
        record = _record(task, s, outputs.get(s.id), errors.get(s.id))
        score_record(task, s, record)
        records.append(record)
    return records


def asr_mixed(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    """Four languages, two subsets, genders; empties, refusals, wrong language, failures, a retry."""
    rng = random.Random(1)
    samples = []
    for i in range(48):
        lang = ("en", "ms", "th", "zh")[i % 4]
        reference: str | list[str] = _sentence(rng, lang)
        if i % 17 == 5:
            reference = [reference, _sentence(rng, lang)]
        samples.append(Sample(id=f"m{i:03d}", language=lang, reference=reference,
                              metadata={"subset": "read" if i % 3 else "spontaneous", "gender": ("f", "m")[i % 2]}))
    task = asr("asr/pinned-mixed", lambda: samples, ["en", "ms", "th", "zh"])
    rng = _answers(rng, variant)
    outputs: dict[str, str | None] = {}
    for i, s in enumerate(samples):
        corrupted = _corrupt(rng, s.references[0], s.language)
        outputs[s.id] = SPECIAL.get(i % 16, corrupted)
    errors = {samples[20].id: ErrorCode.MODEL_ERROR, samples[33].id: ErrorCode.AUDIO_UNREADABLE}
    records = _scored(task, samples, outputs, errors)
    retried = _record(task, samples[20], _corrupt(rng, samples[20].references[0], samples[20].language))
    score_record(task, samples[20], retried)
    return task, records + [retried], 50  # two samples never ran: partial


def asr_zh(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    """One language (the breakdown is the overall result), CER headline."""
    rng = random.Random(2)
    samples = [Sample(id=f"z{i:03d}", language="zh", reference=_sentence(rng, "zh"),
                      metadata={"subset": ("news", "chat")[i % 2]}) for i in range(30)]
    task = asr("asr/pinned-zh", lambda: samples, ["zh"])
    rng = _answers(rng, variant)
    outputs: dict[str, str | None] = {s.id: _corrupt(rng, str(s.reference), "zh") for s in samples}
    outputs[samples[4].id] = ""
    return task, _scored(task, samples, outputs, {}), 30


def s2tt_th_en(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    rng = random.Random(3)
    samples = [Sample(id=f"t{i:03d}", language="th", target_language="en", reference=_sentence(rng, "en"),
                      metadata={"subset": ("a", "b", "c")[i % 3]}) for i in range(36)]
    task = s2tt("s2tt/pinned-th-en", lambda: samples, ["th"])
    rng = _answers(rng, variant)
    outputs: dict[str, str | None] = {s.id: _corrupt(rng, str(s.reference), "en") for s in samples}
    outputs[samples[5].id] = "ขอโทษ ฉันไม่สามารถแปลได้ วันนี้ อากาศ ดี มาก เรา ไป ตลาด"
    outputs[samples[9].id] = ""
    return task, _scored(task, samples, outputs, {samples[12].id: ErrorCode.TIMEOUT}), 36


def s2tt_to_zh(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    """Chinese target: sacrebleu's zh tokenizer; two languages in."""
    rng = random.Random(4)
    samples = [Sample(id=f"c{i:03d}", language=("en", "ms")[i % 2], target_language="zh",
                      reference=_sentence(rng, "zh")) for i in range(24)]
    task = s2tt("s2tt/pinned-to-zh", lambda: samples, ["en", "ms"])
    rng = _answers(rng, variant)
    outputs: dict[str, str | None] = {s.id: _corrupt(rng, str(s.reference), "zh") for s in samples}
    return task, _scored(task, samples, outputs, {}), 24


def _fixed(task: Task, rows: list[tuple[Sample, dict[str, Score], ErrorCode | None]]) -> list[SampleRecord]:
    records = []
    for sample, scores, error in rows:
        record = _record(task, sample, "fixed", error)
        record.scores = scores
        records.append(record)
    return records


def mcq(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    rng = random.Random(5 + 100 * variant)
    samples, rows = [], []
    for i in range(40):
        choices = ["dog", "cat", "bird", "rain"]
        s = Sample(id=f"q{i:03d}", language=("en", "vi")[i % 2], choices=choices, label=choices[i % 4],
                   metadata={"category": ("sound", "music", "speech")[i % 3], "difficulty": ("easy", "hard")[i % 2]})
        samples.append(s)
        gold = i % 4
        r = rng.random()
        flags = ["extract_fail"] if r < 0.1 else (["empty"] if r < 0.15 else [])
        pred = -1.0 if flags else float(gold if r < 0.7 else (gold + 1) % 4)
        scores = {"choice": Score(value=float(pred == gold), stats={"gold": float(gold), "pred": pred, "n_labels": 4.0},
                                  flags=flags)}
        rows.append((s, scores, ErrorCode.MODEL_ERROR if i == 17 else None))
    task = Task(name="mmau/pinned", family="mmau", version="1", languages=("en", "vi"), load=lambda: samples,
                scorers=(), metrics=(Accuracy(), *flag_rates("choice")), primary_metric="accuracy",
                breakdown_keys=("language", "category", "difficulty", "subset"))
    return task, _fixed(task, rows), 40


def labels(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    rng = random.Random(6 + 100 * variant)
    samples, rows = [], []
    for i in range(45):
        s = Sample(id=f"g{i:03d}", language=("id", "th", "ta")[i % 3], choices=["male", "female"], label=("male", "female")[i % 2])
        samples.append(s)
        gold = i % 2
        r = rng.random()
        pred = -1.0 if r < 0.08 else float(gold if r < 0.75 else 1 - gold)
        flags = ["extract_fail"] if pred < 0 else []
        rows.append((s, {"label": Score(value=float(pred == gold), stats={"gold": float(gold), "pred": pred, "n_labels": 2.0},
                                        flags=flags)}, None))
    task = Task(name="paralinguistics/pinned-gender", family="paralinguistics", version="1", languages=("id", "ta", "th"),
                load=lambda: samples, scorers=(), metrics=(Accuracy(scorer="label"), MacroF1(), *flag_rates("label")),
                primary_metric="accuracy")
    return task, _fixed(task, rows), 45


def judged(variant: int = 0) -> tuple[Task, list[SampleRecord], int]:
    rng = random.Random(7 + 100 * variant)
    samples, rows = [], []
    for i in range(32):
        s = Sample(id=f"o{i:03d}", language=("th", "vi", "id", "ms")[i % 4],
                   metadata={"task_type": ("qa", "instruction")[i % 2], "rubric": "generic"})
        samples.append(s)
        flags = ["refusal"] if i % 11 == 3 else (["wrong_language"] if i % 13 == 5 else [])
        judge = None if i % 9 == 4 else float(rng.randint(1, 5))
        rows.append((s, {"response": Score(value=None, flags=flags),
                         "judge": Score(value=judge, flags=[] if judge is not None else ["unscored"])}, None))
    task = Task(name="open/pinned", family="open", version="1", languages=("id", "ms", "th", "vi"), load=lambda: samples,
                scorers=(), metrics=(MeanMetric("judge_score", scorer="judge"), *flag_rates("response")),
                primary_metric="judge_score", rubric="generic", breakdown_keys=("language", "task_type", "rubric"))
    return task, _fixed(task, rows), 32


CASES = (asr_mixed, asr_zh, s2tt_th_en, s2tt_to_zh, mcq, labels, judged)


def pinned_cases(variant: int = 0) -> list[tuple[Task, list[SampleRecord], int]]:
    """(task, records in the order they were written, samples in the task); another `variant` is
    another model's answers to the same samples."""
    return [case(variant) for case in CASES]
