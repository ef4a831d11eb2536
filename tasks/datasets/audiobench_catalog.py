"""AudioBench's dataset catalogue as data: one Entry per dataset in AudioLLMs/AudioBench's
`src/dataset.py`, with the metric AudioBench reports and the SeaBench task that runs it.

Task names follow `family/dataset`: `asr/`, `s2tt/`, `sqa/` (spoken QA), `sds/` (dialogue
summaries), `si/` (speech instructions), `aqa/` (audio-scene QA), `caption/`, `paralinguistics/`,
`music/`, `math/`. The loaders live in tasks/datasets/audiobench.py; docs/DATASETS.md lists the
same table for people. Sizes are test rows as the dataset cards give them (None: not stated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from seabench.tasks.audiobench_wer import Rule

Kind = Literal["asr", "mcq", "label", "judged", "math"]
AudioBenchMetric = Literal["wer", "bleu", "llama3_70b_judge", "llama3_70b_judge_binary", "acc"]

MNSC_REPO = "MERaLiON/Multitask-National-Speech-Corpus-v1"
PRIVATE = "not public: AudioBench scores it from a private copy"


@dataclass(frozen=True)
class Entry:
    audiobench: str  # AudioBench's dataset name (its --dataset value)
    task: str  # SeaBench task name
    kind: Kind
    language: str
    repo: str  # Hugging Face dataset id ("" for private sets)
    metric: AudioBenchMetric  # what AudioBench reports
    licence: str
    subdir: str = ""  # folder inside the repo (MNSC parts)
    split: str = "test"
    size: int | None = None
    asr_rule: Rule = "english"
    labels: tuple[str, ...] = ()  # label tasks: the classes (empty: the distinct references of the data)
    label_kind: str | None = None
    question: str = ""  # fixed prompt where AudioBench draws one at random from a list
    description: str = ""

    @property
    def folder(self) -> str:
        """Where the data goes under $SEABENCH_DATA_DIR (MNSC parts share the `mnsc/` folder)."""
        if self.repo == MNSC_REPO:
            return f"mnsc/{self.subdir}"
        return f"audiobench/{self.repo.split('/')[-1] if self.repo else self.subdir}"

    @property
    def public(self) -> bool:
        return bool(self.repo)

    @property
    def code_switched(self) -> bool:
        """Mixed Mandarin-English speech, headlined by the mixed error rate."""
        return self.audiobench.startswith("seame_")


def _asr(name: str, task: str, repo: str, licence: str, *, language: str = "en", size: int | None = None,
         rule: Rule = "english", description: str = "") -> Entry:
    return Entry(name, task, "asr", language, repo, "wer", licence, size=size, asr_rule=rule, description=description)


def _private_asr(name: str, task: str, folder: str, description: str, language: str = "en-SG") -> Entry:
    return Entry(name, task, "asr", language, "", "wer", PRIVATE, subdir=folder, description=description)


ASR = [
    _asr("librispeech_test_clean", "asr/librispeech-clean", "AudioLLMs/librispeech_test_clean", "CC-BY-4.0",
         size=2620, description="LibriSpeech test-clean: read audiobooks"),
    _asr("librispeech_test_other", "asr/librispeech-other", "AudioLLMs/librispeech_test_other", "CC-BY-4.0",
         size=2939, description="LibriSpeech test-other: harder read audiobooks"),
    _asr("common_voice_15_en_test", "asr/commonvoice15-en", "AudioLLMs/common_voice_15_en_test", "CC0-1.0",
         description="Common Voice 15 English test: crowd-sourced read speech, many accents"),
    _asr("peoples_speech_test", "asr/peoples-speech", "AudioLLMs/peoples_speech_test", "CC-BY-SA-4.0 / CC-BY-4.0",
         description="People's Speech test: diverse English speech"),
    _asr("gigaspeech_test", "asr/gigaspeech", "AudioLLMs/gigaspeech_test", "GigaSpeech terms (Apache-2.0 metadata)",
         description="GigaSpeech test: podcasts, YouTube, audiobooks"),
    _asr("tedlium3_test", "asr/tedlium3", "AudioLLMs/tedlium3_test", "CC-BY-NC-ND-3.0",
         description="TED-LIUM 3 test: TED talks, segmented"),
    _asr("tedlium3_long_form_test", "asr/tedlium3-longform", "AudioLLMs/tedlium3_long_form_test", "CC-BY-NC-ND-3.0",
         description="TED-LIUM 3 long form: whole talks"),
    _asr("earnings21_test", "asr/earnings21", "AudioLLMs/earnings21_test", "CC-BY-SA-4.0",
         description="Earnings-21: earnings calls, financial terms"),
    _asr("earnings22_test", "asr/earnings22", "AudioLLMs/earnings22_test", "CC-BY-SA-4.0",
         description="Earnings-22: earnings calls, accented English"),
    _asr("aishell_asr_zh_test", "asr/aishell1", "AudioLLMs/aishell_1_zh_test", "Apache-2.0", language="zh",
         size=6920, rule="code_switch", description="AISHELL-1 test: Mandarin read speech"),
    _asr("seame_dev_man", "asr/seame-dev-man", "AudioLLMs/seame_dev_man", "LDC licence (SEAME, LDC2015S04)",
         language="zh", rule="code_switch",
         description="SEAME dev, Mandarin-dominant Mandarin-English code-switching (Singapore, Malaysia)"),
    _asr("seame_dev_sge", "asr/seame-dev-sge", "AudioLLMs/seame_dev_sge", "LDC licence (SEAME, LDC2015S04)",
         language="en-SG", rule="code_switch",
         description="SEAME dev, English-dominant Mandarin-English code-switching (Singapore, Malaysia)"),
    _private_asr("nlb_asr_test", "asr/nlb", "nlb_asr_test", "National Library Board (Singapore) recordings"),
    _private_asr("cna_test", "asr/cna", "cna_ASR_v3", "CNA (Singapore) news, long form"),
    _private_asr("idpc_test", "asr/idpc", "idpc_long_ASR_v1", "IDPC podcasts (Singapore), long form"),
    _private_asr("idpc_short_test", "asr/idpc-short", "idpc_short_ASR_v1", "IDPC podcasts (Singapore), short clips"),
    _private_asr("parliament_test", "asr/parliament", "parliament_long_ASR_v1",
                 "Singapore Parliament sittings, long form"),
    _private_asr("parliament_short_test", "asr/parliament-short", "parliament_short_ASR_v1",
                 "Singapore Parliament sittings, short clips"),
    _private_asr("mediacorp_test", "asr/mediacorp", "mediacorp_long_ASR_v1", "Mediacorp (Singapore) TV, long form"),
    _private_asr("mediacorp_short_test", "asr/mediacorp-short", "mediacorp_short_ASR_v1",
                 "Mediacorp (Singapore) TV, short clips"),
    _private_asr("ukusnews_test", "asr/ukusnews", "ukusnews_long_ASR_v1", "UK and US news, long form", "en"),
    _private_asr("ukusnews_short_test", "asr/ukusnews-short", "ukusnews_short_ASR_v1", "UK and US news, short clips",
                 "en"),
]

# AudioBench sets that SeaBench also reads in their original layout: the same test sets, one task each.
SHARED_ASR = {  # AudioBench name -> (SeaBench task, AudioBench clean-up)
    **{f"imda_part{n}{'' if n < 3 else '_30s'}_asr_test": (f"asr/mnsc-part{n}", "imda_part4" if n == 4 else "english")
       for n in range(1, 7)},
    "gigaspeech2_thai": ("asr/gigaspeech2-th", "thai_raw"),
    "gigaspeech2_indo": ("asr/gigaspeech2-id", "english"),
    "gigaspeech2_viet": ("asr/gigaspeech2-vi", "vietnamese"),
}
SHARED_S2TT = {f"covost2_{s}_{t}_test": f"s2tt/covost2-{s}-{t}"
               for s, t in (("en", "id"), ("en", "zh"), ("en", "ta"), ("id", "en"), ("zh", "en"), ("ta", "en"))}
SHARED_OTHER = {"mmau_mini": "mmau/test-mini"}


def _mnsc(name: str, task: str, kind: Kind, subdir: str, metric: AudioBenchMetric, description: str,
          **extra: object) -> Entry:
    return Entry(name, task, kind, "en-SG", MNSC_REPO, metric, "MERaLiON MNSC licence (accept on the dataset page)",
                 subdir=subdir, description=description, **extra)  # type: ignore[arg-type]


MNSC = [
    *(_mnsc(f"imda_part{n}_30s_sqa_human_test", f"sqa/mnsc-part{n}", "judged", f"SQA-PART{n}-Test",
            "llama3_70b_judge", f"MNSC part {n} spoken QA: questions on 30 s Singapore English dialogues")
      for n in (3, 4, 5, 6)),
    *(_mnsc(f"imda_part{n}_30s_ds_human_test", f"sds/mnsc-part{n}", "judged", f"SDS-PART{n}-Test",
            "llama3_70b_judge", f"MNSC part {n} dialogue summarisation (30 s Singapore English dialogues)")
      for n in (3, 4, 5, 6)),
    _mnsc("imda_ar_sentence", "paralinguistics/mnsc-accent-sentence", "label", "PQA-AR-Sentence-Test",
          "llama3_70b_judge_binary", "MNSC accent of one speaker (Chinese, Malay or Indian community of Singapore)",
          labels=("Chinese", "Malay", "Indian"), label_kind="accent"),
    _mnsc("imda_gr_sentence", "paralinguistics/mnsc-gender-sentence", "label", "PQA-GR-Sentence-Test",
          "llama3_70b_judge_binary", "MNSC gender of one speaker", labels=("male", "female"), label_kind="gender"),
    _mnsc("imda_ar_dialogue", "paralinguistics/mnsc-accent-dialogue", "judged", "PQA-AR-Dialogue-Test",
          "llama3_70b_judge_binary", "MNSC accents of the two speakers of a dialogue (free-text answer)"),
    _mnsc("imda_gr_dialogue", "paralinguistics/mnsc-gender-dialogue", "judged", "PQA-GR-Dialogue-Test",
          "llama3_70b_judge_binary", "MNSC genders of the two speakers of a dialogue (free-text answer)"),
]


def _ab(name: str, task: str, kind: Kind, repo: str, metric: AudioBenchMetric, licence: str, description: str,
        **extra: object) -> Entry:
    language = str(extra.pop("language", "en"))
    return Entry(name, task, kind, language, repo, metric, licence, description=description,
                 **extra)  # type: ignore[arg-type]


EMOTIONS_IEMOCAP = ("frustration", "anger", "excited", "neutral", "happiness", "surprise", "sad")
EMOTIONS_MELD = ("neutral", "joy", "disgust", "sadness", "surprise", "anger", "fear")
UNDERSTANDING = [
    _ab("cn_college_listen_mcq_test", "sqa/cn-college-listen", "mcq", "AudioLLMs/cn_college_listen_mcq_test",
        "llama3_70b_judge_binary", "research use (CN college English listening tests)",
        "English listening-test dialogues with multiple-choice questions", size=2271),
    _ab("dream_tts_mcq_test", "sqa/dream-tts", "mcq", "AudioLLMs/dream_tts_mcq_test", "llama3_70b_judge_binary",
        "DREAM dataset terms (non-commercial research)", "DREAM dialogues read by TTS, multiple choice"),
    _ab("slue_p2_sqa5_test", "sqa/slue-p2-sqa5", "judged", "AudioLLMs/slue_p2_sqa5_test", "llama3_70b_judge",
        "CC-BY-4.0", "SLUE phase-2 SQA-5: questions on spoken Wikipedia passages", size=408),
    _ab("public_sg_speech_qa_test", "sqa/public-sg-speech-qa", "judged", "AudioLLMs/public_sg_speech_qa_test",
        "llama3_70b_judge", "Singapore public-sector speeches, research use",
        "Questions on Singapore public speeches", language="en-SG", size=688),
    _ab("spoken_squad_test", "sqa/spoken-squad", "judged", "AudioLLMs/spoken_squad_test", "llama3_70b_judge",
        "CC-BY-SA-4.0 (SQuAD)", "Spoken-SQuAD: SQuAD passages read by TTS"),
    _ab("openhermes_audio_test", "si/openhermes-audio", "judged", "AudioLLMs/openhermes_instruction_test",
        "llama3_70b_judge", "research use (OpenHermes instructions, synthesised speech)",
        "Spoken instructions from OpenHermes; the answer follows the request", size=100,
        question="Listen to the audio and do what the speaker asks."),
    _ab("alpaca_audio_test", "si/alpaca-audio", "judged", "AudioLLMs/alpaca_audio_test", "llama3_70b_judge",
        "CC-BY-NC-4.0 (Alpaca)", "Spoken instructions from Alpaca; the answer follows the request", size=100,
        question="Listen to the audio and do what the speaker asks."),
    _ab("clotho_aqa_test", "aqa/clotho-aqa", "judged", "AudioLLMs/clotho_aqa_test", "llama3_70b_judge",
        "research use (Clotho-AQA, Freesound CC licences)", "Questions on everyday sound recordings"),
    _ab("audiocaps_qa_test", "aqa/audiocaps-qa", "judged", "AudioLLMs/audiocaps_qa_test", "llama3_70b_judge",
        "research use (AudioCaps / AudioSet clips)", "Questions on AudioCaps clips", size=313),
    _ab("wavcaps_qa_test", "aqa/wavcaps-qa", "judged", "AudioLLMs/wavcaps_qa_test", "llama3_70b_judge",
        "research use (WavCaps, academic only)", "Questions on WavCaps clips", size=304),
    _ab("audiocaps_test", "caption/audiocaps", "judged", "AudioLLMs/audiocaps_test", "llama3_70b_judge",
        "research use (AudioCaps / AudioSet clips)", "Write a caption of an everyday sound clip",
        question="Write a one-sentence caption of the sounds in this audio clip."),
    _ab("wavcaps_test", "caption/wavcaps", "judged", "AudioLLMs/wavcaps_test", "llama3_70b_judge",
        "research use (WavCaps, academic only)", "Write a caption of a sound clip",
        question="Write a one-sentence caption of the sounds in this audio clip."),
    _ab("voxceleb_accent_test", "paralinguistics/voxceleb-accent", "label", "AudioLLMs/voxceleb_accent_test",
        "llama3_70b_judge_binary", "CC-BY-4.0 (VoxCeleb1)",
        "Nationality from the accent (celebrity interviews); the classes are the data's answers",
        label_kind="accent", question="From the speaker's accent, which country is the speaker from?"),
    _ab("voxceleb_gender_test", "paralinguistics/voxceleb-gender", "label", "AudioLLMs/voxceleb_gender_test",
        "llama3_70b_judge_binary", "CC-BY-4.0 (VoxCeleb1)", "Speaker gender (celebrity interviews)",
        labels=("male", "female"), label_kind="gender"),
    _ab("iemocap_gender_test", "paralinguistics/iemocap-gender", "label", "AudioLLMs/iemocap_gender_recognition",
        "llama3_70b_judge_binary", "IEMOCAP licence (request from USC SAIL)", "Speaker gender (acted dialogues)",
        size=1004, labels=("male", "female"), label_kind="gender"),
    _ab("iemocap_emotion_test", "paralinguistics/iemocap-emotion", "label", "AudioLLMs/iemocap_emotion_recognition",
        "llama3_70b_judge_binary", "IEMOCAP licence (request from USC SAIL)", "Emotion in acted dialogues",
        size=1004, labels=EMOTIONS_IEMOCAP, label_kind="emotion"),
    _ab("meld_emotion_test", "paralinguistics/meld-emotion", "label", "AudioLLMs/meld_emotion_test",
        "llama3_70b_judge_binary", "GPL-3.0 (MELD)", "Emotion in TV-series dialogue (Friends)",
        labels=EMOTIONS_MELD, label_kind="emotion"),
    _ab("meld_sentiment_test", "paralinguistics/meld-sentiment", "label", "AudioLLMs/meld_sentiment_test",
        "llama3_70b_judge_binary", "GPL-3.0 (MELD)", "Sentiment in TV-series dialogue (Friends)",
        labels=("neutral", "positive", "negative"), question="Is the speaker's sentiment positive, negative or neutral?"),
    _ab("muchomusic_test", "music/muchomusic", "mcq", "AudioLLMs/mu_chomusic_test", "llama3_70b_judge_binary",
        "CC-BY-SA-4.0 (MuChoMusic; audio: Song Describer / MusicCaps)", "Multiple-choice questions about music"),
    *(_ab(f"spoken-mqa_{split}", f"math/spoken-mqa-{split.replace('_', '-')}", "math", "amao0o0/spoken-mqa", "acc",
          "see the dataset card (amao0o0/spoken-mqa)", f"Spoken-MQA {split.replace('_', ' ')}: spoken math problems",
          split=split)
      for split in ("short_digit", "long_digit", "single_step_reasoning", "multi_step_reasoning")),
]

ENTRIES: tuple[Entry, ...] = (*ASR, *MNSC, *UNDERSTANDING)


def all_task_names() -> list[str]:
    """Every SeaBench task of AudioBench's catalogue, including the sets read in their original layout."""
    return [e.task for e in ENTRIES] + [t for t, _ in SHARED_ASR.values()] + list(SHARED_S2TT.values()) + \
        list(SHARED_OTHER.values())
