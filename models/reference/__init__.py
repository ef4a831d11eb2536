"""The included reference audio-language model (model code only; imports no harness module).

Encoder (transformers Whisper / Qwen2-Audio) -> adapter (MLP frame stack / pooled linear) -> any
transformers causal LM. Importing this package is cheap; torch and transformers load with the submodules.
"""
