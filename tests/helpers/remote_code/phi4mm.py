"""A stand-in for Phi-4-multimodal-instruct's remote code, for tests: the same interface, not its network.

What it shares with the published remote code (model_type `phi4mm`, loaded with AutoModelForCausalLM and
AutoProcessor, trust_remote_code): prompts are plain text where `<|audio_N|>` marks the N-th clip,
clips are given as `audios=[(array, sampling_rate), ...]`, and the processor expands each marker into as
many audio tokens as the clip has embeddings (`input_audio_embeds`, `audio_embed_sizes`). The network
is small and our own: log-mel frames pooled 8 to 1, projected into a Llama decoder's embedding space.
"""

import re

import numpy as np
import torch
from torch import nn
from transformers import (
    GenerationMixin,
    LlamaConfig,
    LlamaForCausalLM,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.feature_extraction_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin

POOL = 8
MARKER = re.compile(r"<\|audio_(\d+)\|>")


class Phi4MMConfig(PretrainedConfig):
    model_type = "phi4mm"

    def __init__(self, text_config=None, n_mels=80, audio_token_id=0, **kwargs):
        super().__init__(**kwargs)
        self.text_config = LlamaConfig(**text_config) if isinstance(text_config, dict) else text_config
        self.n_mels = n_mels
        self.audio_token_id = audio_token_id


class Phi4MMForCausalLM(PreTrainedModel, GenerationMixin):
    config_class = Phi4MMConfig

    def __init__(self, config) -> None:
        super().__init__(config)
        self.audio_proj = nn.Linear(config.n_mels, config.text_config.hidden_size)
        self.language_model = LlamaForCausalLM(config.text_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def forward(self, input_ids=None, attention_mask=None, input_audio_embeds=None, audio_embed_sizes=None,
                inputs_embeds=None, **kwargs):
        slots = input_ids == self.config.audio_token_id if input_ids is not None else None
        if input_audio_embeds is not None and inputs_embeds is None and bool(slots.any()):
            inputs_embeds = self.get_input_embeddings()(input_ids)
            frames = input_audio_embeds.to(inputs_embeds.dtype)  # (clips, frames, mels), pooled by the processor
            audio = torch.cat([self.audio_proj(f[:n]) for f, n in zip(frames, audio_embed_sizes.tolist())])
            inputs_embeds = inputs_embeds.masked_scatter(slots.unsqueeze(-1).expand_as(inputs_embeds), audio)
            input_ids = None
        return self.language_model(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds,
                                   **kwargs)


class Phi4MMProcessor(ProcessorMixin):
    attributes = ["feature_extractor", "tokenizer"]
    feature_extractor_class = "WhisperFeatureExtractor"
    tokenizer_class = "AutoTokenizer"

    def __init__(self, feature_extractor=None, tokenizer=None, audio_token="<|endoftext11|>"):
        self.audio_token = audio_token
        super().__init__(feature_extractor, tokenizer)

    def __call__(self, text=None, images=None, audios=None, return_tensors="pt", **kwargs) -> BatchFeature:
        if images is not None:
            raise ValueError("this stand-in takes no images")
        data: dict = {}
        sizes: list[int] = []
        if audios:
            mels = []
            for wave, rate in audios:
                features = self.feature_extractor(np.asarray(wave, dtype=np.float32), sampling_rate=rate,
                                                  return_tensors="pt", return_attention_mask=True)
                valid = int(features["attention_mask"].sum())
                mel = features["input_features"][0, :, :valid].T
                usable = max(valid // POOL, 1) * POOL
                mel = nn.functional.pad(mel, (0, 0, 0, max(0, usable - mel.shape[0])))[:usable]
                mels.append(mel.reshape(-1, POOL, mel.shape[1]).mean(1))
                sizes.append(mels[-1].shape[0])
            width = max(sizes)
            data["input_audio_embeds"] = torch.stack([nn.functional.pad(m, (0, 0, 0, width - m.shape[0]))
                                                      for m in mels])
            data["audio_embed_sizes"] = torch.tensor(sizes)
        numbers = [int(n) for n in MARKER.findall(text)]
        if numbers != list(range(1, len(sizes) + 1)):
            raise ValueError(f"the prompt marks clips {numbers} but {len(sizes)} audio clip(s) were given")
        expanded = MARKER.sub(lambda m: self.audio_token * sizes[int(m.group(1)) - 1], text)
        encoded = self.tokenizer(expanded, return_tensors="pt", add_special_tokens=False)
        data.update(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"])
        return BatchFeature(data)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)
