"""How each model family's authors prompt it: one table, used by every adapter that builds prompts
(`hf:`, `vllm:`, `openai:`, the reference model when it loads a MERaLiON checkpoint).

Every entry names the file of the official repository it was read from. A family without an entry
is prompted through its processor's chat template with the clips first and the task prompt after
(Qwen2-Audio, SeaLLMs-Audio, Voxtral ... whose official scripts do exactly that). Plain data without
heavy imports, so the model code under `reference/` uses the same table."""

from __future__ import annotations

from dataclasses import dataclass

# what MERaLiON's official scripts ask when a sample has no text instruction (spoken instruction)
SPOKEN_INSTRUCTION = "Please follow the instruction in the speech."


@dataclass(frozen=True)
class PromptTemplate:
    """One family's prompt.

    `user`: the user turn's text, `{instruction}` filled with the task prompt; it carries the audio
    marker the processor expands (MERaLiON's `<SpeechHere>`). None keeps the task prompt as it is.
    `raw`: the whole prompt as plain text, for processors without a chat template (`{audio}` is one
    marker per clip, numbered from 1; `{system}` the optional system block).
    `system`: the official system prompt, used when the task sets none.
    `system_turn`: False when the model's chat template rejects a system turn (Gemma 2 based)."""

    name: str
    models: str
    source: str
    user: str | None = None
    raw: str | None = None
    audio_marker: str | None = None
    empty_instruction: str | None = None
    system: str | None = None
    system_turn: bool = True
    max_clips: int | None = None

    def user_text(self, instruction: str) -> str:
        """The user turn's text for one task prompt."""
        if not instruction.strip() and self.empty_instruction is not None:
            instruction = self.empty_instruction
        return instruction if self.user is None else self.user.format(instruction=instruction)

    def raw_text(self, instruction: str, n_clips: int, system: str | None) -> str:
        """The full prompt for a processor that takes text, not chats (Phi-4-multimodal)."""
        if self.raw is None or self.audio_marker is None:
            raise ValueError(f"prompt template {self.name!r} has no raw form")
        audio = "".join(self.audio_marker.format(n=n) for n in range(1, n_clips + 1))
        block = f"<|system|>{system}<|end|>" if system else ""
        return self.raw.format(system=block, audio=audio, instruction=self.user_text(instruction))


TEMPLATES: dict[str, PromptTemplate] = {t.name: t for t in (
    PromptTemplate(
        name="meralion",
        models="MERaLiON-AudioLLM-Whisper-SEA-LION (v1, model_type meralion)",
        source="DAMO-NLP-SG/SeaLLMs-Audio SeaBench_Audio/scripts/gen_responses_MERaLion.py; "
               "AudioLLMs/AudioBench src/model_src/meralion_audiollm_whisper_sea_lion.py",
        user="Given the following audio context: <SpeechHere>\n\nText instruction: {instruction}",
        audio_marker="<SpeechHere>", empty_instruction=SPOKEN_INSTRUCTION, system_turn=False, max_clips=1),
    PromptTemplate(
        name="meralion2",
        models="MERaLiON-2-10B, MERaLiON-2-10B-ASR, MERaLiON-2-3B (model_type meralion2)",
        source="DAMO-NLP-SG/SeaLLMs-Audio SeaBench_Audio/scripts/gen_responses_MERaLion2.py; "
               "YingxuH/vllm_plugin example_scripts/offline_example.py and openai_client_example.py",
        user="Instruction: {instruction} \nFollow the text instruction based on the following audio: <SpeechHere>",
        audio_marker="<SpeechHere>", empty_instruction=SPOKEN_INSTRUCTION, system_turn=False, max_clips=1),
    PromptTemplate(
        name="qwen2_5_omni",
        models="Qwen2.5-Omni-3B/7B (model_type qwen2_5_omni), text output only",
        source="DAMO-NLP-SG/SeaLLMs-Audio SeaBench_Audio/scripts/gen_responses_qwen_omni.py; "
               "EvolvingLMMs-Lab/lmms-eval lmms_eval/models/simple/qwen2_5_omni.py",
        system="You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving "
               "auditory and visual inputs, as well as generating text and speech."),
    PromptTemplate(
        name="phi4_multimodal",
        models="Phi-4-multimodal-instruct (remote code, model_type phi4mm)",
        source="AudioLLMs/AudioBench src/model_src/phi_4_multimodal_instruct.py; "
               "EvolvingLMMs-Lab/lmms-eval lmms_eval/models/simple/phi4_multimodal.py",
        raw="{system}<|user|>{audio}{instruction}<|end|><|assistant|>", audio_marker="<|audio_{n}|>"),
    PromptTemplate(
        name="chat",
        models="Qwen2-Audio-7B-Instruct, SeaLLMs-Audio-7B and every other chat-template model",
        source="DAMO-NLP-SG/SeaLLMs-Audio SeaBench_Audio/gen_responses.py; "
               "AudioLLMs/AudioBench src/model_src/qwen2_audio_7b_instruct.py, seallms_audio_7b.py: "
               "the processor's chat template, audio before the text"),
)}

# checkpoint config `model_type` -> template name
BY_MODEL_TYPE = {"meralion": "meralion", "meralion2": "meralion2", "qwen2_5_omni": "qwen2_5_omni",
                 "phi4mm": "phi4_multimodal"}


def for_model_type(model_type: str | None) -> PromptTemplate | None:
    name = BY_MODEL_TYPE.get(model_type or "")
    return TEMPLATES[name] if name else None


def for_model_name(model: str) -> PromptTemplate | None:
    """The template a served model's name implies: MERaLiON names pick MERaLiON's wrapper (v1 for the
    AudioLLM-Whisper-SEA-LION release, else v2, the generation the vLLM plugin serves)."""
    name = model.lower()
    if "meralion" not in name:
        return None
    v1 = "audiollm" in name or "whisper-sea-lion" in name
    return TEMPLATES["meralion" if v1 else "meralion2"]


def choose(option: object, model_name: str | None = None, model_type: str | None = None) -> PromptTemplate | None:
    """`-M prompt_template=NAME` if given (`chat`: the task prompt as it is), else the template of the
    checkpoint's model type when it is known, else what the served model's name implies."""
    from seabench.errors import unknown_name

    if option is not None:
        if str(option) not in TEMPLATES:
            raise unknown_name("prompt template", str(option), TEMPLATES)
        return TEMPLATES[str(option)]
    if model_type is not None:
        return for_model_type(model_type)
    return for_model_name(model_name or "")
