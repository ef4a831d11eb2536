"""Text-in/text-out inference over raw clips: prompt rendering, length buckets, batched generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .features import build_feature_extractor, extract_features, split_windows

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from seabench.models.prompts import PromptTemplate

    from .model import ReferenceModel, SamplingParams

AudioItem = np.ndarray | list[np.ndarray] | None
DEFAULT_TRANSCRIBE_PROMPT = "Transcribe the audio."


@dataclass(frozen=True)
class GenerationResult:
    text: str
    n_input_tokens: int
    n_output_tokens: int
    finish_reason: Literal["stop", "length"]
    token_ids: tuple[int, ...] = ()  # generated ids, stop token included
    # seconds of the batch this result was generated in; not part of equality (answers compare, clocks don't)
    prefill_s: float = field(default=0.0, compare=False)
    decode_s: float = field(default=0.0, compare=False)


class ReferenceLALM:
    """The reference model with its tokenizer and feature extractor, ready for batched generation."""

    def __init__(self, model: ReferenceModel, tokenizer: PreTrainedTokenizerBase, batch_size: int = 8) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.extractor = build_feature_extractor(model.config)
        vocab = tokenizer.get_vocab()
        self.stop_token_ids = [vocab[t] for t in model.config.stop_tokens if t in vocab]
        pad = tokenizer.pad_token_id
        self.pad_token_id = int(pad if pad is not None else (self.stop_token_ids or [0])[0])
        self.placeholder = model.config.audio_tokens.placeholder

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str = "cpu", dtype: torch.dtype | str | None = None, batch_size: int = 8
    ) -> ReferenceLALM:
        """Load a native or Qwen2-Audio folder; dtype defaults to bf16 on a bf16-capable GPU, else float32."""
        import torch

        from .io import load_reference

        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        if dtype is None:
            cuda = device.startswith("cuda") and torch.cuda.is_available()
            dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
        model, tokenizer = load_reference(path, device=device, dtype=dtype)
        return cls(model, tokenizer, batch_size=batch_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @property
    def template(self) -> PromptTemplate | None:
        """The family's user-turn wrapper (MERaLiON's), if the checkpoint names one."""
        from seabench.models.prompts import TEMPLATES

        name = self.model.config.prompt_template
        return TEMPLATES[name] if name else None

    @property
    def takes_system_prompt(self) -> bool:
        """False when the chat template has no system turn (MERaLiON's Gemma 2 template)."""
        return self.template is None or self.template.system_turn

    def render(self, prompt: str, n_audio: int, system_prompt: str | None = None) -> str:
        """The chat-templated prompt with one (unexpanded) audio placeholder per clip."""
        template = self.template
        content: str | list[dict]
        if template is not None:  # a text user turn that carries the audio marker itself
            if template.max_clips is not None and n_audio > template.max_clips:
                raise ValueError(f"{template.name} takes at most {template.max_clips} audio clip per prompt")
            content = template.user_text(prompt) if n_audio else prompt
        else:  # an "audio" key as well as the type: published Qwen2-Audio templates test `'audio' in content`
            content = [{"type": "audio", "audio": f"clip-{i}"} for i in range(n_audio)]
            content.append({"type": "text", "text": prompt})
        messages: list[dict] = []
        system = system_prompt if system_prompt is not None else self.model.config.default_system_prompt
        if system is not None:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": content})
        return self.tokenizer.apply_chat_template(
            messages, chat_template=self.model.config.chat_template, tokenize=False, add_generation_prompt=True
        )

    def transcribe(
        self, audios: list[AudioItem], prompt: str = DEFAULT_TRANSCRIBE_PROMPT, **kwargs
    ) -> list[GenerationResult]:
        """Same instruction for every clip."""
        return self.generate(audios, [prompt] * len(audios), **kwargs)

    def generate(
        self,
        audios: list[AudioItem],
        prompts: list[str],
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        top_k: int = 0,
        seed: int = 0,
        system_prompt: str | None = None,
        repetition_penalty: float = 1.0,
    ) -> list[GenerationResult]:
        """Answer each prompt about its clip(s); batches group clips of similar length, results keep input order."""
        import torch

        from .model import SamplingParams

        if len(audios) != len(prompts):
            raise ValueError(f"{len(audios)} audio items but {len(prompts)} prompts")
        items = [_as_clips(a) for a in audios]
        rendered = [self.render(p, len(c), system_prompt) for p, c in zip(prompts, items, strict=True)]
        sampling = SamplingParams(temperature=temperature, top_p=top_p, top_k=top_k,
                                  repetition_penalty=repetition_penalty)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        results: list[GenerationResult | None] = [None] * len(items)
        with torch.inference_mode():
            for batch in self._buckets(items):
                outputs = self._generate_batch(
                    [rendered[i] for i in batch], [items[i] for i in batch], max_new_tokens, sampling, generator
                )
                for i, result in zip(batch, outputs, strict=True):
                    results[i] = result
        return [r for r in results if r is not None]

    def _buckets(self, items: list[list[np.ndarray]]) -> list[list[int]]:
        """Index batches sorted by audio length, so padding (and the encoder window) stays small."""
        order = sorted(range(len(items)), key=lambda i: (sum(c.shape[0] for c in items[i]), len(items[i])))
        return [order[k : k + self.batch_size] for k in range(0, len(order), self.batch_size)]

    def _generate_batch(
        self,
        texts: list[str],
        items: list[list[np.ndarray]],
        max_new_tokens: int,
        sampling: SamplingParams,
        generator: torch.Generator,
    ) -> list[GenerationResult]:
        import torch

        clips = [clip for item in items for clip in item]
        features = feature_mask = None
        counts: list[int] = []
        if clips:
            windows, owners = split_windows(self.model.config, clips)
            batch = extract_features(self.model.config, self.extractor, windows)
            features, feature_mask = batch.features.to(self.device), batch.attention_mask.to(self.device)
            counts = [0] * len(clips)
            for owner, count in zip(owners, self.model.audio_token_counts(batch.lengths).tolist(), strict=True):
                counts[owner] += count
        encoded = self._tokenize(texts, items, counts)
        width = max(len(e) for e in encoded)
        ids = torch.full((len(encoded), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, row_ids in enumerate(encoded):
            ids[row, width - len(row_ids) :] = torch.tensor(row_ids)
            mask[row, width - len(row_ids) :] = 1
        out = self.model.generate(
            ids.to(self.device),
            mask.to(self.device),
            features,
            feature_mask,
            max_new_tokens=max_new_tokens,
            stop_token_ids=self.stop_token_ids,
            pad_token_id=self.pad_token_id,
            sampling=sampling,
            generator=generator,
        )
        results = []
        for row, row_ids in enumerate(encoded):
            n = int(out.n_tokens[row])
            stopped = bool(out.stopped[row])
            tokens = out.tokens[row, :n].tolist()
            text = self.tokenizer.decode(tokens[: n - 1] if stopped else tokens, skip_special_tokens=True)
            reason = "stop" if stopped else "length"
            results.append(GenerationResult(text, len(row_ids), n, reason, tuple(tokens), out.prefill_s, out.decode_s))
        return results

    def _tokenize(self, texts: list[str], items: list[list[np.ndarray]], counts: list[int]) -> list[list[int]]:
        """Expand each clip's placeholder to its embedding count, then tokenise (as the Qwen2-Audio processor)."""
        encoded = []
        offset = 0
        for text, item in zip(texts, items, strict=True):
            pieces = text.split(self.placeholder)
            if len(pieces) - 1 != len(item):
                raise ValueError(f"chat template produced {len(pieces) - 1} audio placeholders for {len(item)} clips")
            expanded = pieces[0]
            for k, piece in enumerate(pieces[1:]):
                expanded += self.placeholder * counts[offset + k] + piece
            offset += len(item)
            encoded.append(self.tokenizer(expanded, add_special_tokens=False)["input_ids"])
        return encoded


def _as_clips(item: AudioItem) -> list[np.ndarray]:
    if item is None:
        return []
    if isinstance(item, np.ndarray):
        return [item]
    return list(item)
