"""Where an `hf:`/`vllm:` checkpoint is read from, and whether its own Python code may run.

A hub id is read from the local Hugging Face cache only: a run never downloads weights, and an id
that is not there gets one line saying how to fetch it. Remote code (a checkpoint's own modelling
files, `trust_remote_code`) is arbitrary Python, so it runs only for allow-listed model families and
only once the user pins exactly the code they reviewed: the sha256 of the checkpoint's `.py` files
(`-M code_sha256=`) or the hub commit the folder was downloaded at (`-M revision=`). The errors print
the values to pass, computed from the folder, so reviewing is the only manual step.

No torch or transformers import at module level."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seabench.errors import UserError

COMMIT = re.compile(r"[0-9a-f]{40}")
# config model_type -> the hub repos of that family whose remote code seabench will run once pinned
REMOTE_CODE_FAMILIES: dict[str, tuple[str, ...]] = {
    "meralion": ("MERaLiON/MERaLiON-AudioLLM-Whisper-SEA-LION",),
    "meralion2": ("MERaLiON/MERaLiON-2-10B", "MERaLiON/MERaLiON-2-10B-ASR", "MERaLiON/MERaLiON-2-3B"),
    "phi4mm": ("microsoft/Phi-4-multimodal-instruct",),
}
REMOTE_CODE_REPOS = {repo: family for family, repos in REMOTE_CODE_FAMILIES.items() for repo in repos}
DOWNLOAD_METADATA = Path(".cache") / "huggingface" / "download"  # written by `hf download --local-dir`


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint resolved to a local folder."""

    name: str  # what the user asked for: a hub id or a path
    folder: Path
    config: dict[str, Any]
    repo: str | None = None  # hub repo, when known
    commit: str | None = None  # commit the files were downloaded at, when known
    trust_remote_code: bool = False

    @property
    def model_type(self) -> str | None:
        return self.config.get("model_type")

    @property
    def is_local(self) -> bool:
        """The user named a folder (not a hub id)."""
        return self.repo is None or self.name != self.repo


def resolve(name: str, revision: str | None = None, trust_remote_code: bool = False,
            code_sha256: str | None = None) -> Checkpoint:
    """The folder to load `name` from, refusing remote code that is not allow-listed and pinned."""
    path = Path(name).expanduser()
    if trust_remote_code and not path.is_dir() and name not in REMOTE_CODE_REPOS:
        raise _not_allowed(name, None)  # before looking for it: no point downloading it
    if path.is_dir():
        repo, commit = downloaded_from(path)
        folder = path.resolve()
    elif name.startswith(("/", ".", "~")):
        raise UserError(f"no checkpoint folder at {name}")
    else:
        folder = cached_snapshot(name, revision)
        repo, commit = name, folder.name
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise UserError(f"{name}: {folder} has no config.json, so it is not a transformers checkpoint folder")
    config = json.loads(config_file.read_text(encoding="utf-8"))
    checkpoint = Checkpoint(name=name, folder=folder, config=config, repo=repo, commit=commit,
                            trust_remote_code=trust_remote_code)
    _check_remote_code(checkpoint, revision, code_sha256)
    return checkpoint


def cached_snapshot(repo: str, revision: str | None) -> Path:
    """The hub cache folder of `repo` at `revision` (default branch if None), without any network call."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo, revision=revision, local_files_only=True))
    except HFValidationError:
        raise UserError(f"{repo!r} is neither a folder nor a hub id of the form ORG/NAME") from None
    except (LocalEntryNotFoundError, FileNotFoundError):
        at = f" --revision {revision}" if revision else ""
        raise UserError(
            f"{repo}{f'@{revision}' if revision else ''} is not in the local Hugging Face cache "
            f"({constants.HF_HUB_CACHE}) and seabench never downloads during a run: fetch it with "
            f"`hf download {repo}{at}`, or pass a local folder (hf:/path/to/checkpoint)") from None


def downloaded_from(folder: Path) -> tuple[str | None, str | None]:
    """(repo, commit) of a folder inside the hub cache (`models--ORG--NAME/snapshots/<commit>`), or
    (None, commit) of a folder made by `hf download --local-dir`, whose metadata records the commit."""
    folder = folder.resolve()
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        return folder.parent.parent.name.removeprefix("models--").replace("--", "/"), folder.name
    commits = set()
    for meta in (folder / DOWNLOAD_METADATA).glob("*.metadata"):
        first = meta.read_text(encoding="utf-8").splitlines()[:1]
        if first and COMMIT.fullmatch(first[0].strip()):
            commits.add(first[0].strip())
    return None, (commits.pop() if len(commits) == 1 else None)


def code_files(folder: Path) -> list[Path]:
    """The checkpoint's own Python files (what trust_remote_code would import)."""
    return sorted(p for p in folder.rglob("*.py") if ".cache" not in p.relative_to(folder).parts)


def code_sha256(folder: Path) -> str:
    """One sha256 over every code file's relative path and bytes: what a reviewer pins."""
    digest = hashlib.sha256()
    for path in code_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return digest.hexdigest()


def needs_remote_code(config: dict[str, Any]) -> bool:
    """True when the config names its own classes and transformers has none for its model type."""
    if not config.get("auto_map"):
        return False
    from transformers import CONFIG_MAPPING

    return config.get("model_type") not in CONFIG_MAPPING


def _pin_advice(checkpoint: Checkpoint) -> str:
    files = ", ".join(p.relative_to(checkpoint.folder).as_posix() for p in code_files(checkpoint.folder))
    commit = f" or -M revision={checkpoint.commit} (the commit it was downloaded at)" if checkpoint.commit else ""
    return (f"after reviewing its code ({files or 'no .py files found'}) in {checkpoint.folder}, pass "
            f"-M trust_remote_code=true -M code_sha256={code_sha256(checkpoint.folder)}{commit}")


def _family(checkpoint: Checkpoint) -> str | None:
    """The allow-listed family: by hub repo for a hub id, by the config's model type for a folder."""
    if not checkpoint.is_local:
        return REMOTE_CODE_REPOS.get(checkpoint.name)
    family = checkpoint.model_type
    return family if family in REMOTE_CODE_FAMILIES else None


def _check_remote_code(checkpoint: Checkpoint, revision: str | None, pinned_sha: str | None) -> None:
    name = checkpoint.name
    if not checkpoint.trust_remote_code:
        if needs_remote_code(checkpoint.config):
            if _family(checkpoint) is None:
                raise _not_allowed(name, checkpoint.model_type)
            raise UserError(f"{name} runs its own model code (model_type {checkpoint.model_type!r}); "
                            f"{_pin_advice(checkpoint)}")
        return
    if _family(checkpoint) is None:
        raise _not_allowed(name, checkpoint.model_type)
    if pinned_sha is not None:
        actual = code_sha256(checkpoint.folder)
        if str(pinned_sha).lower() != actual:
            raise UserError(f"{name}: its code does not match the pinned code_sha256 {pinned_sha} (it is {actual}); "
                            "review the files again before pinning the new hash")
        return
    if revision is not None and COMMIT.fullmatch(str(revision)):
        if checkpoint.commit == revision:
            return
        known = f"was downloaded at commit {checkpoint.commit}" if checkpoint.commit else \
            "does not record the commit it was downloaded at"
        raise UserError(f"{name} {known}, so -M revision={revision} does not pin it; {_pin_advice(checkpoint)}")
    raise UserError(f"{name} runs remote code only when pinned (branch and tag names can move): "
                    f"{_pin_advice(checkpoint)}")


def _not_allowed(name: str, model_type: str | None) -> UserError:
    families = ", ".join(f"{f} ({', '.join(r)})" for f, r in REMOTE_CODE_FAMILIES.items())
    kind = f" (model_type {model_type!r})" if model_type else ""
    return UserError(
        f"trust_remote_code is off for {name}{kind}: remote code runs arbitrary Python, so seabench only runs it for "
        f"the allow-listed model families {families}, pinned to reviewed code. Use a transformers-native "
        "checkpoint, or add the family to REMOTE_CODE_FAMILIES in seabench/models/hf_checkpoint.py")
