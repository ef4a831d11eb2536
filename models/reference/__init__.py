"""The included reference audio-language model (model code only; from the harness it reads just the
prompt table, models/prompts.py, for checkpoints that name a family's wrapper).

Encoder (transformers Whisper / Qwen2-Audio / wav2vec2) -> adapter (MLP frame stack / pooled linear /
MERaLiON's) -> any transformers causal LM. Loads its own format, Qwen2-Audio (SeaLLMs-Audio) and MERaLiON
v1/v2 checkpoints. Importing this package is cheap; torch and transformers load with the submodules.
"""
