"""The reference audio-language model: audio encoder -> adapter -> any transformers causal LM.

Audio enters the decoder the Qwen2-Audio way: the prompt already holds one placeholder token per audio
embedding, and the placeholders' embeddings are overwritten in order. That keeps positions, masks and
the KV cache plain text-LM machinery, so left-padded batched generation needs no special cases.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from .config import AdapterConfig, EncoderConfig, ReferenceConfig

if TYPE_CHECKING:
    from transformers import PretrainedConfig

IGNORE_INDEX = -100


class AudioEncoder(nn.Module):
    """Runs a transformers Whisper / Qwen2-Audio encoder over features of any length up to its window, or
    a wav2vec2 encoder (the XLS-R family of self-supervised speech models) over the waveform.

    The transformers Whisper classes insist on a full 30 s window; this forward walks the same sub-modules
    (so weights and names are theirs) but accepts shorter, batch-padded input. With `pad_to="max"` and a
    Qwen2-Audio encoder it performs exactly the operations of `Qwen2AudioModel`; with `pad_to="max"` and
    `mask_padding=False`, those of transformers' `WhisperEncoder` (MERaLiON's speech encoder).
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        if config.kind == "wav2vec2":
            from transformers import Wav2Vec2Config, Wav2Vec2Model

            self.net = Wav2Vec2Model(Wav2Vec2Config(**config.config))
        elif config.kind == "whisper":
            from transformers import WhisperConfig
            from transformers.models.whisper.modeling_whisper import WhisperEncoder

            self.net = WhisperEncoder(WhisperConfig(**config.config))
        else:
            from transformers import Qwen2AudioEncoder, Qwen2AudioEncoderConfig

            self.net = Qwen2AudioEncoder(Qwen2AudioEncoderConfig(**config.config))
        self.pools = config.kind == "qwen2_audio"  # Qwen2-Audio average-pools by 2 before its final norm

    @property
    def width(self) -> int:
        config = self.net.config
        return int(config.hidden_size if self.config.kind == "wav2vec2" else config.d_model)

    def output_lengths(self, frames: torch.Tensor) -> torch.Tensor:
        if self.config.kind == "wav2vec2":  # frames are samples here: the conv feature encoder's strides
            return self.net._get_feat_extract_output_lengths(frames).long()
        conv = (frames - 1) // 2 + 1
        return (conv - 2) // 2 + 1 if self.pools else conv

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(clips, mels, frames), valid frames per clip -> (clips, steps, d_model), valid steps per clip."""
        from transformers.masking_utils import create_bidirectional_mask

        if self.config.kind == "wav2vec2":
            return self._wav2vec2(features, lengths)
        net = self.net
        zero_padding = self.config.pad_to == "batch"
        x = features.to(dtype=net.conv1.weight.dtype, device=net.conv1.weight.device)
        lengths = lengths.to(x.device)
        if zero_padding:  # frames past a clip are zero whatever the caller padded with
            x = x * _step_mask(lengths, x.shape[-1]).unsqueeze(1).to(x.dtype)
        h = nn.functional.gelu(net.conv2(nn.functional.gelu(net.conv1(x)))).permute(0, 2, 1)
        steps = h.shape[1]
        if steps > net.embed_positions.num_embeddings:
            raise ValueError(f"audio longer than the encoder window ({features.shape[-1]} mel frames)")
        h = h + net.embed_positions.weight[:steps]
        h = nn.functional.dropout(h, p=net.dropout, training=self.training)
        conv_lengths = (lengths - 1) // 2 + 1
        mask = None
        if self.config.mask_padding:
            mask = create_bidirectional_mask(
                config=net.config,
                inputs_embeds=h.new_zeros(h.shape[0], steps, 1),
                attention_mask=_step_mask(conv_lengths, steps).long(),
            )
        for layer in net.layers:
            h = layer(h, mask)
        if self.pools:
            h = net.avg_pooler(h.permute(0, 2, 1)).permute(0, 2, 1)
        h = net.layer_norm(h)
        return self._zero_past(h, self.output_lengths(lengths))

    def _wav2vec2(self, features: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(clips, 1, samples) waveforms -> frames every 20 ms; padding masked as transformers does it."""
        x = features[:, 0, :].to(dtype=self.net.feature_extractor.conv_layers[0].conv.weight.dtype)
        lengths = lengths.to(x.device)
        mask = _step_mask(lengths, x.shape[-1]).long() if self.config.mask_padding else None
        h = self.net(x, attention_mask=mask).last_hidden_state
        return self._zero_past(h, self.output_lengths(lengths))

    def _zero_past(self, h: torch.Tensor, out_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """With batch padding, steps past a clip are zero, so a frame-stacking adapter never mixes
        padding into a clip's last group."""
        if self.config.pad_to == "batch":
            h = h * _step_mask(out_lengths, h.shape[1]).unsqueeze(-1).to(h.dtype)
        return h, out_lengths


class MlpStackAdapter(nn.Module):
    """MERaLiON-style adapter: stack `stack` frames, then a SiLU MLP up to the decoder width."""

    def __init__(self, config: AdapterConfig, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.stack = config.stack
        self.fuse = nn.Linear(in_dim * config.stack, in_dim)
        self.up = nn.Linear(in_dim, in_dim * config.hidden_mult)
        self.down = nn.Linear(in_dim * config.hidden_mult, out_dim)

    def output_lengths(self, steps: torch.Tensor) -> torch.Tensor:
        return -(-steps // self.stack)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        n, t, c = h.shape
        pad = -t % self.stack
        if pad:
            h = nn.functional.pad(h, (0, 0, 0, pad))
        h = h.reshape(n, (t + pad) // self.stack, c * self.stack)
        h = nn.functional.silu(self.fuse(h))
        return self.down(nn.functional.silu(self.up(h)))


class MeralionAdapter(nn.Module):
    """MERaLiON's speech adapter under its published parameter names, so a checkpoint loads by renaming
    prefixes only: LayerNorm `ln_speech`, then `stack` consecutive frames concatenated (C*stack) and
    v1 (`meralion`): `mlp_adapter` C*stack -> C, SiLU; `speech_llm_proj` C -> 4C, SiLU, 4C -> decoder;
    v2 (`meralion2`): `mlp_adapter` C*stack -> 5C, SiLU; SiLU(`gate_proj`) * `pool_proj`; `out_proj` -> decoder.
    The dropout layers keep the published indices (and rates) of the Sequential blocks."""

    def __init__(self, config: AdapterConfig, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.stack = config.stack
        self.gated = config.kind == "meralion2"
        wide = in_dim * 5 if self.gated else in_dim
        self.ln_speech = nn.LayerNorm(in_dim)
        self.mlp_adapter = nn.Sequential(nn.Linear(in_dim * self.stack, wide), nn.SiLU(),
                                         nn.Dropout(0.01 if self.gated else 0.1))
        if self.gated:
            self.gate_proj = nn.Linear(wide, wide)
            self.pool_proj = nn.Linear(wide, wide)
            self.out_proj = nn.Linear(wide, out_dim)
        else:
            self.speech_llm_proj = nn.Sequential(nn.Linear(in_dim, in_dim * 4), nn.SiLU(), nn.Dropout(0.1),
                                                 nn.Linear(in_dim * 4, out_dim))

    def output_lengths(self, steps: torch.Tensor) -> torch.Tensor:
        return steps // self.stack

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        n, t, c = h.shape
        t -= t % self.stack
        h = self.mlp_adapter(self.ln_speech(h[:, :t]).reshape(n, t // self.stack, c * self.stack))
        if not self.gated:
            return self.speech_llm_proj(h)
        return self.out_proj(nn.functional.silu(self.gate_proj(h)) * self.pool_proj(h))


class Qwen2PoolAdapter(nn.Module):
    """Qwen2-Audio-style adapter: optional average pooling, then one linear projection."""

    def __init__(self, config: AdapterConfig, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.stride = config.pool_stride
        self.linear = nn.Linear(in_dim, out_dim, bias=True)

    def output_lengths(self, steps: torch.Tensor) -> torch.Tensor:
        return steps if self.stride == 1 else (steps - self.stride) // self.stride + 1

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            h = nn.functional.avg_pool1d(h.permute(0, 2, 1), self.stride, self.stride).permute(0, 2, 1)
        return self.linear(h)


@dataclass
class ReferenceOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


@dataclass
class GenerationOutput:
    """New tokens per row (right-padded with pad_token_id), how many are real, and whether a stop token ended them;
    the batch's prefill time (encoder, prompt pass, first token) and decode time (every later step), in seconds."""

    tokens: torch.Tensor
    n_tokens: torch.Tensor
    stopped: torch.Tensor
    prefill_s: float = 0.0
    decode_s: float = 0.0


@dataclass(frozen=True)
class SamplingParams:
    """Greedy when temperature is 0; otherwise temperature / top-k / top-p sampling from a seeded generator.
    `repetition_penalty` (> 1 discourages) applies to every token already in the prompt or the answer, as in
    transformers: positive logits are divided by it, negative ones multiplied."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0


class ReferenceModel(nn.Module):
    """Encoder -> adapter -> decoder, with `forward` for scoring/training and `generate` for inference."""

    def __init__(self, config: ReferenceConfig) -> None:
        super().__init__()
        from transformers import AutoModelForCausalLM

        self.config = config
        self.encoder = AudioEncoder(config.encoder)
        self.decoder = AutoModelForCausalLM.from_config(decoder_config(config.decoder))
        hidden = int(self.decoder.config.hidden_size)
        adapters = {"mlp_stack": MlpStackAdapter, "qwen2_pool": Qwen2PoolAdapter, "meralion": MeralionAdapter,
                    "meralion2": MeralionAdapter}
        self.adapter = adapters[config.adapter.kind](config.adapter, self.encoder.width, hidden)

    def audio_token_counts(self, frame_lengths: torch.Tensor) -> torch.Tensor:
        """Placeholders the prompt must hold for clips with these valid frame counts (every window's full
        count when the encoder keeps padding)."""
        if self.config.encoder.keep_padding:
            frame_lengths = torch.full_like(frame_lengths, self.config.max_mel_frames)
        return self.adapter.output_lengths(self.encoder.output_lengths(frame_lengths))

    def encode_audio(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """All valid audio embeddings of all clips, concatenated in clip order: (total, hidden)."""
        if self.config.encoder.keep_padding:
            lengths = torch.full_like(lengths, features.shape[-1])
        h, steps = self.encoder(features, lengths)
        h = self.adapter(h)
        counts = self.adapter.output_lengths(steps)
        keep = _step_mask(counts, h.shape[1])
        return h[keep]

    def embed(
        self,
        input_ids: torch.Tensor,
        input_features: torch.Tensor | None = None,
        feature_attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Token embeddings with audio placeholders overwritten by the encoded clips, in order."""
        embeds = self.decoder.get_input_embeddings()(input_ids)
        placeholders = input_ids == self.config.audio_token_id
        n_slots = int(placeholders.sum())
        if input_features is None:
            if n_slots:
                raise ValueError("prompt holds audio placeholders but no audio was given")
            return embeds
        if feature_attention_mask is None:
            raise ValueError("feature_attention_mask is required with input_features")
        audio = self.encode_audio(input_features, feature_attention_mask.sum(-1))
        if audio.shape[0] != n_slots:
            raise ValueError(f"{n_slots} audio placeholders in the prompt but {audio.shape[0]} audio embeddings")
        mask = placeholders.unsqueeze(-1).expand_as(embeds)
        return embeds.masked_scatter(mask, audio.to(embeds.dtype))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
        feature_attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> ReferenceOutput:
        """Logits for every position; with `labels` also the next-token loss (audio and pad positions ignored)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if position_ids is None:
            position_ids = positions_from_mask(attention_mask)
        embeds = self.embed(input_ids, input_features, feature_attention_mask)
        out = self.decoder(
            inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids, use_cache=False
        )
        loss = None
        if labels is not None:
            labels = labels.masked_fill((input_ids == self.config.audio_token_id) | (attention_mask == 0), IGNORE_INDEX)
            loss = nn.functional.cross_entropy(
                out.logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(), ignore_index=IGNORE_INDEX
            )
        return ReferenceOutput(logits=out.logits, loss=loss)

    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        input_features: torch.Tensor | None = None,
        feature_attention_mask: torch.Tensor | None = None,
        *,
        max_new_tokens: int,
        stop_token_ids: list[int],
        pad_token_id: int,
        sampling: SamplingParams = SamplingParams(),
        generator: torch.Generator | None = None,
    ) -> GenerationOutput:
        """Left-padded batch in, new tokens out: one encoder pass, one prefill, then cached decode steps."""
        start = time.perf_counter()
        prefill_s = 0.0
        batch = input_ids.shape[0]
        device = input_ids.device
        mask = attention_mask.long()
        positions = positions_from_mask(mask)
        embeds = self.embed(input_ids, input_features, feature_attention_mask)
        out = self.decoder(
            inputs_embeds=embeds, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1
        )
        next_position = positions[:, -1:] + 1
        stops = torch.tensor(stop_token_ids or [-1], device=device)
        stopped = torch.zeros(batch, dtype=torch.bool, device=device)
        n_tokens = torch.zeros(batch, dtype=torch.long, device=device)
        steps: list[torch.Tensor] = []
        seen = self._seen_tokens(input_ids, mask, out.logits.shape[-1]) if sampling.repetition_penalty != 1.0 else None
        for step in range(max_new_tokens):
            logits = out.logits[:, -1, :].float()
            if seen is not None:
                logits = penalise_repeats(logits, seen, sampling.repetition_penalty)
            token = choose_next(logits, sampling, generator)
            token = token.masked_fill(stopped, pad_token_id)
            if seen is not None:
                seen[torch.arange(batch, device=device), token] = True
            steps.append(token)
            n_tokens += (~stopped).long()
            stopped |= torch.isin(token, stops)
            done = bool(stopped.all()) or step == max_new_tokens - 1  # reading the flag waits for the device
            if step == 0:
                prefill_s = time.perf_counter() - start
            if done:
                break
            mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
            out = self.decoder(
                input_ids=token[:, None],
                attention_mask=mask,
                position_ids=next_position,
                past_key_values=out.past_key_values,
                use_cache=True,
            )
            next_position = next_position + 1
        tokens = torch.stack(steps, dim=1) if steps else input_ids.new_zeros(batch, 0)
        return GenerationOutput(tokens=tokens, n_tokens=n_tokens, stopped=stopped, prefill_s=prefill_s,
                                decode_s=time.perf_counter() - start - prefill_s)


    @staticmethod
    def _seen_tokens(input_ids: torch.Tensor, mask: torch.Tensor, vocab: int) -> torch.Tensor:
        """(batch, vocab) flags of the real (unpadded) prompt tokens; audio placeholders are prompt tokens too."""
        seen = torch.zeros(input_ids.shape[0], vocab, dtype=torch.bool, device=input_ids.device)
        rows, cols = mask.nonzero(as_tuple=True)
        seen[rows, input_ids[rows, cols].clamp(max=vocab - 1)] = True
        return seen


def penalise_repeats(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """transformers' repetition penalty: seen tokens' logits / penalty if positive, * penalty if negative."""
    scaled = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, scaled, logits)


def decoder_config(spec: dict) -> PretrainedConfig:
    """Build a transformers config from a plain dict that names its model_type."""
    from transformers import AutoConfig

    spec = dict(spec)
    model_type = spec.pop("model_type", None)
    if not model_type:
        raise ValueError("decoder config needs a model_type (e.g. 'qwen2', 'gemma2', 'llama')")
    return AutoConfig.for_model(model_type, **spec)


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """Rotary positions that start at 0 on each row's first real token, so left padding changes nothing."""
    return (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 1)


def choose_next(logits: torch.Tensor, sampling: SamplingParams, generator: torch.Generator | None) -> torch.Tensor:
    """Next token per row: argmax, or a draw from the temperature/top-k/top-p filtered distribution."""
    if sampling.temperature <= 0:
        return logits.argmax(-1)
    logits = logits / sampling.temperature
    if sampling.top_k > 0:
        kth = logits.topk(min(sampling.top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if sampling.top_p < 1.0:
        ordered, order = logits.sort(dim=-1, descending=True)
        probs = ordered.softmax(-1)
        drop = probs.cumsum(-1) - probs > sampling.top_p  # keep the smallest prefix reaching top_p
        logits = logits.scatter(-1, order, ordered.masked_fill(drop, float("-inf")))
    probs = logits.softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _step_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]
