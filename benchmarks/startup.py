"""One-time start-up of scoring (issue 14): what the first use of each language's tools costs in a
fresh process, and that a second use costs nothing more (each is paid once per process).

Measured in a child process (CPU seconds): the Unicode tables every normaliser shares, Thai word
segmentation (pythainlp's dictionary as a trie), Chinese (OpenCC tables, jieba's dictionary), the
language-ID model, and sacrebleu/jiwer. Run twice: the first process unpacks the language-ID model
into the cache directory, the second reads it from there.
Goal: all of it at most 1 s.

    python benchmarks/startup.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
steps = {}
def timed(name, fn):
    start = time.process_time(); fn(); first = time.process_time() - start
    start = time.process_time(); fn(); again = time.process_time() - start
    steps[name] = (first, again)
from seabench.normalize import get_normalizer
from seabench.metrics import ErrorRateScorer, TranslationScorer
from seabench.types import Sample
timed("unicode tables + English normaliser", lambda: get_normalizer("en").words("Hello, world: 1,000 times"))
timed("Thai words (dictionary trie)", lambda: get_normalizer("th").words("วันนี้อากาศดีมาก"))
timed("Chinese characters (OpenCC)", lambda: get_normalizer("zh").chars("今天天氣很好"))
timed("Chinese words (jieba dictionary)", lambda: get_normalizer("zh").words("今天天气很好"))
timed("language-ID model", lambda: __import__("seabench.langid", fromlist=["x"]).detect_language("the weather is nice today"))
timed("WER scorer (jiwer/rapidfuzz)", lambda: ErrorRateScorer().score(Sample(id="x", reference="a b c", language="en"), "a b"))
timed("translation scorer (sacrebleu)", lambda: TranslationScorer().score(Sample(id="x", reference="a b c d", target_language="en"), "a b c"))
print(json.dumps(steps))
"""


def measure(env: dict[str, str]) -> dict[str, tuple[float, float]]:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SEABENCH_CACHE_DIR": tmp}
        cold, warm = measure(env), measure(env)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("| one-time step | first process (CPU s) | later processes (CPU s) | second use in a process |")
    print("|---|---:|---:|---:|")
    for name in warm:
        print(f"| {name} | {cold[name][0]:.3f} | {warm[name][0]:.3f} | {warm[name][1]:.4f} |")
    total = sum(first for first, _ in warm.values())
    print(f"| total | {sum(first for first, _ in cold.values()):.2f} | {total:.2f} | "
          f"{sum(again for _, again in warm.values()):.4f} |")
    print(f"goal (<= 1 s once the cache holds the unpacked model): {'met' if total <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
