"""Training the reference model: the loss falls, a crashed run resumes to the very same losses, and the
U-Align DTW loss follows the cheapest alignment (checked against brute force)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from seabench.models.reference import train as T

MINI = Path(T.__file__).resolve().parents[2] / "tasks" / "mini" / "data"


@pytest.fixture(scope="module")
def train_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 14-clip train split in the `build_mini.py --train` format, made from shipped mini clips."""
    out = tmp_path_factory.mktemp("train")
    (out / "audio").mkdir()
    asr, s2tt = [], []
    for lang in T.LANGUAGES:
        rows = [json.loads(line) for line in (MINI / f"asr-{lang}.jsonl").read_text(encoding="utf-8").splitlines()]
        for row in rows[:2]:
            shutil.copy(MINI / row["audio"], out / row["audio"])
            asr.append({**row, "id": f"train-{row['id']}"})
    for row in asr:
        if row["language"] == "vi":
            s2tt.append({**row, "instruction": "Translate the Vietnamese speech into English.",
                         "reference": "A sentence in English.", "target_language": "en"})
    sounds = [json.loads(line) for line in (MINI / "sounds.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    for row in sounds:
        shutil.copy(MINI / row["audio"], out / row["audio"])
    (out / T.ASR_MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in asr), encoding="utf-8")
    (out / T.S2TT_MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in s2tt), encoding="utf-8")
    (out / T.SOUNDS_MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in sounds), encoding="utf-8")
    return out


def _history(folder: Path) -> list[tuple[int, float]]:
    import torch

    return [tuple(h) for h in torch.load(folder / T.STATE_FILE, weights_only=False)["history"]]


def _train(data: Path, out: Path, steps: int, **kwargs: object) -> Path:
    return T.train_reference(data, out, steps=steps, batch_size=6, lr=3e-3, resume=kwargs.pop("resume", False),
                             seed=0, preset="micro", device="cpu", save_every=3, max_minutes=None, warmup=2,
                             threads=1, quiet=True, **kwargs)  # type: ignore[arg-type]


def test_examples_use_the_harness_prompts(train_dir: Path) -> None:
    prompts = T.harness_prompts()
    clips, kinds = T.build_examples(train_dir, prompts)
    assert len(clips) == 16 and set(kinds) == {"asr", "langid", "gender", "rate", "s2tt", "sounds"}
    th = next(e for e in kinds["asr"] if e.prompt == prompts["mini/asr-th"])
    assert th.answer and all(e.answer in ("male", "female") for e in kinds["gender"])
    assert {e.answer for e in kinds["langid"]} == set(T.LANGUAGES)
    assert all(e.prompt == prompts["mini/s2tt-vi-en"] for e in kinds["s2tt"])
    from seabench.extract.choice import extract_choice
    from seabench.registry import registry

    (sounds_task,) = registry().resolve_tasks("mini/sounds")
    for example, sample in zip(kinds["sounds"], sounds_task.samples()[:2], strict=True):
        assert example.prompt == sounds_task.render(sample) and example.answer == sample.label
        # the answer is the option's text, which the harness maps back to the right letter
        assert sample.choices[extract_choice(example.answer, sample.choices).index] == sample.label


def _brute_force(cost: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """Cheapest path over every monotonic step sequence from (0, 0) to (T-1, N-1)."""
    rows, cols = cost.shape
    best: tuple[float, list[tuple[int, int]]] = (float("inf"), [])

    def walk(path: list[tuple[int, int]]) -> None:
        nonlocal best
        i, j = path[-1]
        if (i, j) == (rows - 1, cols - 1):
            total = float(sum(cost[p] for p in path))
            if total < best[0]:
                best = (total, list(path))
            return
        for di, dj in ((1, 0), (0, 1), (1, 1)):
            if i + di < rows and j + dj < cols:
                walk([*path, (i + di, j + dj)])

    walk([(0, 0)])
    return best


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1), (2, 3), (3, 5), (4, 4), (6, 3)])
def test_dtw_path_equals_brute_force(shape: tuple[int, int]) -> None:
    from seabench.models.reference.align import dtw_path

    for seed in range(5):
        cost = np.random.default_rng([seed, *shape]).random(shape)
        expected_cost, expected_path = _brute_force(cost)
        path = dtw_path(cost)
        assert path == expected_path
        assert sum(cost[p] for p in path) == pytest.approx(expected_cost)


def test_dtw_path_on_a_known_alignment() -> None:
    """Three frames of token 0, then two of token 1: the path must follow the zero-cost cells."""
    from seabench.models.reference.align import dtw_path

    cost = np.ones((5, 2))
    cost[:3, 0] = 0.0
    cost[3:, 1] = 0.0
    assert dtw_path(cost) == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]


def test_align_loss_moves_frames_towards_tokens_only() -> None:
    import torch
    from seabench.models.reference.align import cosine_costs, dtw_align_loss, dtw_path

    gen = torch.Generator().manual_seed(0)
    frames = torch.randn(2, 6, 8, generator=gen, requires_grad=True)
    tokens = torch.randn(2, 3, 8, generator=gen, requires_grad=True)
    lengths, token_lengths = torch.tensor([6, 4]), torch.tensor([3, 2])
    loss = dtw_align_loss(frames, lengths, tokens, token_lengths)
    by_hand = []
    for b in range(2):
        cost = cosine_costs(frames[b, : lengths[b]], tokens[b, : token_lengths[b]]).detach().numpy()
        path = dtw_path(cost)
        by_hand.append(np.mean([cost[p] for p in path]))
    assert loss.item() == pytest.approx(float(np.mean(by_hand)), rel=1e-5)
    loss.backward()
    assert tokens.grad is None  # token embeddings are targets, not moved
    assert float(frames.grad[1, 4:].abs().sum()) == 0.0  # padded frames get no gradient
    with torch.no_grad():
        moved = frames - 0.5 * frames.grad
    assert dtw_align_loss(moved, lengths, tokens, token_lengths).item() < loss.item()


def test_training_with_u_align_records_its_loss(train_dir: Path, tmp_path: Path) -> None:
    import torch

    final = _train(train_dir, tmp_path / "run", 4, align="dtw", align_weight=0.5, export_dtype="float16")
    state = torch.load(tmp_path / "run" / T.LATEST / T.STATE_FILE, weights_only=False)
    assert [p["step"] for p in state["parts"]] == [1, 2, 3, 4]
    assert all(p["align"] > 0 and p["ce"] > 0 for p in state["parts"] if "ctc" in p)
    meta = json.loads((final / T.TRAINING_FILE).read_text())
    assert meta["stages"][0]["align"] == "dtw" and meta["stages"][0]["align_weight"] == 0.5
    assert meta["loss_parts_curve"]["align"] and meta["weights_dtype"] == "float16"
    from safetensors.torch import load_file

    assert {v.dtype for v in load_file(str(final / "model.safetensors")).values()} == {torch.float16}
    from seabench.models.reference.inference import ReferenceLALM

    lalm = ReferenceLALM.from_pretrained(final)  # float16 on disk, float32 in memory
    assert lalm.dtype == torch.float32


def test_example_weighting_gives_every_answer_the_same_weight() -> None:
    import torch

    keep = torch.tensor([[False, True, True, True, True], [False, False, False, False, True], [False] * 5])
    token_losses = torch.tensor([1.0, 1.0, 1.0, 1.0, 3.0])  # a 4-token transcript, a 1-token label, no answer
    assert T._per_example_mean(token_losses, keep).item() == pytest.approx((1.0 + 3.0) / 2)
    assert token_losses.mean().item() == pytest.approx(7.0 / 5)  # per token, the label is 1/5 of the loss


def test_training_with_example_weighting_is_recorded(train_dir: Path, tmp_path: Path) -> None:
    final = _train(train_dir, tmp_path / "run", 2, answer_weighting="example")
    meta = json.loads((final / T.TRAINING_FILE).read_text())
    assert meta["stages"][0]["answer_weighting"] == "example"
    with pytest.raises(ValueError, match="answer_weighting"):
        _train(train_dir, tmp_path / "bad", 1, answer_weighting="sample")


def test_trait_losses_are_recorded_and_a_run_from_before_the_trait_heads_resumes(
    train_dir: Path, tmp_path: Path
) -> None:
    import torch

    clips, kinds = T.build_examples(train_dir, T.harness_prompts())
    assert all(e.traits[1] == T.LANGUAGES.index(e.answer) for e in kinds["langid"])
    assert all(e.traits[0] == T.TRAITS["gender"].index(e.answer) for e in kinds["gender"])
    _train(train_dir, tmp_path / "run", 3)
    state_file = tmp_path / "run" / T.LATEST / T.STATE_FILE
    state = torch.load(state_file, weights_only=False)
    head_params = len(state.pop("trait_heads"))  # the heads' weights and biases: the optimizer's last parameters
    (group,) = state["optimizer"]["param_groups"]
    dropped = group["params"][-head_params:]
    group["params"] = group["params"][:-head_params]
    state["optimizer"]["state"] = {k: v for k, v in state["optimizer"]["state"].items() if k not in dropped}
    torch.save(state, state_file)  # what a checkpoint written before the trait heads holds
    final = _train(train_dir, tmp_path / "run", 6, resume=True, trait_weight=1.0, task_mix={"gender": 1.0})
    meta = json.loads((final / T.TRAINING_FILE).read_text())
    assert [s["trait_weight"] for s in meta["stages"]] == [0.0, 1.0]
    assert all(meta["loss_parts_curve"][name] for name in T.TRAITS), "each trait's loss is recorded once on"
    assert "trait_heads" in torch.load(tmp_path / "run" / T.LATEST / T.STATE_FILE, weights_only=False)


def test_a_new_run_can_start_from_a_checkpoint(train_dir: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    first = _train(train_dir, tmp_path / "first", 3)
    tuned = _train(train_dir, tmp_path / "tuned", 2, init=first, align="dtw")
    meta = json.loads((tuned / T.TRAINING_FILE).read_text())
    assert meta["stages"][0]["init_from"]["folder"] == str(first)
    assert meta["stages"][0]["init_from"]["training"]["steps_done"] == 3 and meta["steps_done"] == 2
    assert (tuned / "tokenizer.json").read_bytes() == (first / "tokenizer.json").read_bytes()
    before, after = load_file(str(first / "model.safetensors")), load_file(str(tuned / "model.safetensors"))
    assert before.keys() == after.keys() and not all(torch.equal(before[k], after[k]) for k in before)


def test_loss_falls_and_checkpoint_loads(train_dir: Path, tmp_path: Path) -> None:
    from seabench.models.reference.inference import ReferenceLALM

    final = _train(train_dir, tmp_path / "run", 30)
    losses = [loss for _, loss in _history(tmp_path / "run" / T.LATEST)]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5
    meta = json.loads((final / T.TRAINING_FILE).read_text())
    assert meta["steps_done"] == 30 and meta["data_sha256"] == T.data_hash(train_dir)
    assert meta["final_loss"] > 0 and meta["loss_curve"] and meta["wall_time_s"] > 0
    lalm = ReferenceLALM.from_pretrained(final)
    (result,) = lalm.generate([None], ["Transcribe the speech in English."], max_new_tokens=3)
    assert result.n_output_tokens >= 1


def test_resume_after_a_crash_replays_the_same_losses(
    train_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _train(train_dir, tmp_path / "straight", 6)
    expected = _history(tmp_path / "straight" / T.LATEST)

    real, calls = T.training_loss, []

    def crash_at_step_5(*args: object):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(T, "training_loss", crash_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        _train(train_dir, tmp_path / "crashed", 6)
    assert _history(tmp_path / "crashed" / T.LATEST) == expected[:3]  # last save: step 3
    monkeypatch.setattr(T, "training_loss", real)
    _train(train_dir, tmp_path / "crashed", 6, resume=True)
    resumed = _history(tmp_path / "crashed" / T.LATEST)
    assert [s for s, _ in resumed] == [1, 2, 3, 4, 5, 6]
    assert [loss for _, loss in resumed] == pytest.approx([loss for _, loss in expected], rel=1e-6)
    stages = json.loads((tmp_path / "crashed" / T.FINAL / T.TRAINING_FILE).read_text())["stages"]
    assert [(s["from_step"], s["to_step"]) for s in stages] == [(0, 3), (3, 6)]


def test_a_later_stage_can_change_the_task_mix(train_dir: Path, tmp_path: Path) -> None:
    _train(train_dir, tmp_path / "run", 3)
    final = _train(train_dir, tmp_path / "run", 5, resume=True, task_mix={"asr": 0.0, "gender": 1.0}, ctc_weight=0.0)
    meta = json.loads((final / T.TRAINING_FILE).read_text())
    assert meta["steps_done"] == 5
    assert [s["task_mix"]["gender"] for s in meta["stages"]] == [T.TASK_MIX["gender"], 1.0]
    clips, kinds = T.build_examples(train_dir, T.harness_prompts())
    lengths_only = T.FeatureCache(np.zeros((1, 10 * len(clips))), np.arange(0, 10 * len(clips) + 1, 10))
    batch = T.plan_batches(kinds, lengths_only, 0, 64, 6, 4, {"asr": 0.0, "gender": 1.0})
    assert {e.kind for e in batch} == {"gender"}


def test_cli_reference_train_runs_and_resumes(train_dir: Path, tmp_path: Path) -> None:
    """`seabench reference train` as a user runs it: a checkpoint a `reference:PATH` run can load."""
    import subprocess
    import sys

    out = tmp_path / "ckpt"
    cmd = [sys.executable, "-m", "seabench.cli", "reference", "train", "--data", str(train_dir), "--out", str(out),
           "--steps", "4", "--batch-size", "6", "--preset", "micro", "--device", "cpu", "--threads", "1",
           "--save-every", "2", "--warmup", "1", "--mix", "asr=0.5,gender=0.5"]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Checkpoint:" in done.stdout and (out / "final" / "model.safetensors").exists()
    bad = subprocess.run([*cmd[:-2], "--mix", "asr"], check=False, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--mix" in bad.stderr
