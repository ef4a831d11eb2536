"""MERaLiON v1 and v2 written plainly from their published layout, shipped as the remote code of the
tiny test checkpoints (tests/helpers/tiny_hf.py copies this file into the folder).

What it follows (read, not copied): the MERaLiON-2 model and processor of YingxuH/vllm_plugin
(src/vllm_plugin_meralion2/vllm0101.py, transformers_utils/modules.py, processing_meralion2.py) and,
for v1's adapter, the MERaLiON-2 transformers code's first-generation adapter class:

- `speech_encoder`: a Whisper encoder over full 30 s windows (no masking), then `ln_speech` (LayerNorm);
- `speech_audio_adapter`: `speech_mlp_scale_factor` consecutive frames concatenated, then
  v1: `mlp_adapter` (C*k -> C, SiLU, dropout) and `speech_llm_proj` (C -> 4C, SiLU, dropout, 4C -> text);
  v2: `mlp_adapter` (C*k -> 5C, SiLU, dropout), SiLU(`gate_proj`) * `pool_proj`, then `out_proj` -> text;
- `text_decoder`: Gemma2ForCausalLM whose speech-token embeddings are replaced by the adapter output;
- the processor expands the one `<SpeechHere>` token of a prompt to `fixed_speech_embeds_length` tokens
  per window; v2 splits audio into windows of `whisper_chunk_size` s up to `time_duration_limit` s.
"""

import numpy as np
import torch
from torch import nn
from transformers import (
    Gemma2Config,
    Gemma2ForCausalLM,
    GenerationMixin,
    PretrainedConfig,
    PreTrainedModel,
    WhisperConfig,
)
from transformers.feature_extraction_utils import BatchFeature
from transformers.models.whisper.modeling_whisper import WhisperEncoder
from transformers.processing_utils import ProcessorMixin


def _sub_configs(config, speech_config, text_config, speech_mlp_scale_factor, speech_token_index):
    config.speech_config = WhisperConfig(**speech_config) if isinstance(speech_config, dict) else speech_config
    config.text_config = Gemma2Config(**text_config) if isinstance(text_config, dict) else text_config
    config.speech_mlp_scale_factor = speech_mlp_scale_factor
    config.speech_token_index = speech_token_index


# transformers 5 turns config subclasses into dataclasses: each class keeps its own __init__
class MERaLiONConfig(PretrainedConfig):
    model_type = "meralion"

    def __init__(self, speech_config=None, text_config=None, speech_mlp_scale_factor=15, speech_token_index=255999,
                 **kwargs):
        super().__init__(**kwargs)
        _sub_configs(self, speech_config, text_config, speech_mlp_scale_factor, speech_token_index)


class MERaLiON2Config(PretrainedConfig):
    model_type = "meralion2"

    def __init__(self, speech_config=None, text_config=None, speech_mlp_scale_factor=15, speech_token_index=255999,
                 **kwargs):
        super().__init__(**kwargs)
        _sub_configs(self, speech_config, text_config, speech_mlp_scale_factor, speech_token_index)


class SpeechAdapterV1(nn.Module):
    def __init__(self, width: int, text_width: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.mlp_adapter = nn.Sequential(nn.Linear(width * factor, width), nn.SiLU(), nn.Dropout(0.1))
        self.speech_llm_proj = nn.Sequential(nn.Linear(width, width * 4), nn.SiLU(), nn.Dropout(0.1),
                                             nn.Linear(width * 4, text_width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        return self.speech_llm_proj(self.mlp_adapter(x.reshape(b, t // self.factor, c * self.factor)))


class SpeechAdapterV2(nn.Module):
    def __init__(self, width: int, text_width: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.mlp_adapter = nn.Sequential(nn.Linear(width * factor, width * 5), nn.SiLU(), nn.Dropout(0.01))
        self.gate_proj = nn.Linear(width * 5, width * 5)
        self.pool_proj = nn.Linear(width * 5, width * 5)
        self.act_fn = nn.SiLU()
        self.out_proj = nn.Linear(width * 5, text_width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        x = self.mlp_adapter(x.reshape(b, t // self.factor, c * self.factor))
        return self.out_proj(self.act_fn(self.gate_proj(x)) * self.pool_proj(x))


class _SpeechTextModel(PreTrainedModel, GenerationMixin):
    adapter_class = SpeechAdapterV2
    _no_split_modules = ["WhisperEncoderLayer", "Gemma2DecoderLayer"]

    def __init__(self, config) -> None:
        super().__init__(config)
        width = config.speech_config.d_model
        self.speech_encoder = WhisperEncoder(config.speech_config)
        self.ln_speech = nn.LayerNorm(width)
        self.speech_audio_adapter = self.adapter_class(width, config.text_config.hidden_size,
                                                       config.speech_mlp_scale_factor)
        self.text_decoder = Gemma2ForCausalLM(config.text_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.text_decoder.get_input_embeddings()

    def get_output_embeddings(self) -> nn.Module:
        return self.text_decoder.get_output_embeddings()

    def speech_embeddings(self, input_features: torch.Tensor) -> torch.Tensor:
        """(windows, mels, frames) -> (windows, tokens per window, text width)."""
        hidden = self.speech_encoder(input_features.to(self.speech_encoder.conv1.weight.dtype)).last_hidden_state
        return self.speech_audio_adapter(self.ln_speech(hidden))

    def forward(self, input_ids=None, attention_mask=None, input_features=None, feature_attention_mask=None,
                inputs_embeds=None, **kwargs):
        if input_features is not None and inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
            speech = self.speech_embeddings(input_features).to(inputs_embeds.dtype)
            slots = (input_ids == self.config.speech_token_index).unsqueeze(-1).expand_as(inputs_embeds)
            inputs_embeds = inputs_embeds.masked_scatter(slots, speech)
            input_ids = None
        return self.text_decoder(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds,
                                 **kwargs)


class MERaLiONForConditionalGeneration(_SpeechTextModel):
    config_class = MERaLiONConfig
    adapter_class = SpeechAdapterV1


class MERaLiON2ForConditionalGeneration(_SpeechTextModel):
    config_class = MERaLiON2Config
    adapter_class = SpeechAdapterV2


class _SpeechTextProcessor(ProcessorMixin):
    attributes = ["feature_extractor", "tokenizer"]
    feature_extractor_class = "WhisperFeatureExtractor"
    tokenizer_class = "AutoTokenizer"

    def __init__(self, feature_extractor=None, tokenizer=None, fixed_speech_embeds_length=100,
                 speech_token_index=255999, time_duration_limit=30, whisper_chunk_size=30, do_normalize=True):
        self.fixed_speech_embeds_length = fixed_speech_embeds_length
        self.speech_token_index = speech_token_index
        self.time_duration_limit = time_duration_limit
        self.whisper_chunk_size = whisper_chunk_size
        self.do_normalize = do_normalize
        super().__init__(feature_extractor, tokenizer)
        self.speech_token = self.tokenizer.convert_ids_to_tokens(speech_token_index)

    def windows(self, audio: np.ndarray) -> list[np.ndarray]:
        size = self.whisper_chunk_size * self.feature_extractor.sampling_rate
        limit = max(self.time_duration_limit // self.whisper_chunk_size, 1)
        count = min(max((len(audio) - 1) // size + 1, 1), limit)
        return [audio[i * size:(i + 1) * size] for i in range(count)]

    def __call__(self, text=None, audios=None, padding=True, sampling_rate=None, **kwargs) -> BatchFeature:
        texts = text if isinstance(text, list) else [text]
        clips = audios if isinstance(audios, list) else [audios]
        data: dict = {}
        if audios is not None:
            windows = [self.windows(np.asarray(clip, dtype=np.float32)) for clip in clips]
            texts = [t.replace(self.speech_token, self.speech_token * self.fixed_speech_embeds_length * len(w))
                     for t, w in zip(texts, windows)]
            features = self.feature_extractor([w for ws in windows for w in ws], return_tensors="pt",
                                              sampling_rate=sampling_rate or self.feature_extractor.sampling_rate,
                                              return_attention_mask=True, padding="max_length",
                                              do_normalize=self.do_normalize)
            data["input_features"] = features["input_features"]
            data["feature_attention_mask"] = features["attention_mask"]
        encoded = self.tokenizer(texts, return_tensors="pt", add_special_tokens=False, padding=padding)
        data.update(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"])
        return BatchFeature(data)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)


class MERaLiONProcessor(_SpeechTextProcessor):
    """v1: one window, longer audio cut (the feature extractor truncates)."""


class MERaLiON2Processor(_SpeechTextProcessor):
    def __init__(self, feature_extractor=None, tokenizer=None, fixed_speech_embeds_length=100,
                 speech_token_index=255999, time_duration_limit=300, whisper_chunk_size=30, do_normalize=True):
        super().__init__(feature_extractor, tokenizer, fixed_speech_embeds_length, speech_token_index,
                         time_duration_limit, whisper_chunk_size, do_normalize)
