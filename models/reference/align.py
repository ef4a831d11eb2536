"""U-Align: pull the adapter's audio embeddings onto the transcript's token embeddings with DTW.

The decoder reads audio as if it were text only when the adapter speaks the decoder's embedding
language. U-Align (from the Thai speech-LLM recipe) trains the encoder and adapter towards that without
running the language model: the cosine-distance matrix between the adapted speech frames of a clip and the
input embeddings of its transcript tokens is aligned by dynamic time warping, and the mean distance along
the best monotonic path is the loss. The path is found on detached costs (it is piecewise constant in the
inputs), the gradient flows through the costs on it; the token embeddings are detached too, so the loss
moves the audio side towards the text side and never drags the text embeddings towards the audio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# Moves allowed between path cells: next frame (same token), next token (same frame), or both.
STEPS = ((1, 0), (0, 1), (1, 1))


def dtw_path(cost: np.ndarray) -> list[tuple[int, int]]:
    """The cheapest monotonic path from (0, 0) to (T-1, N-1) through a (T, N) cost matrix.

    Every frame and every token is on the path at least once; ties go to the diagonal, then to the
    next frame. The path's cost is the sum of its cells.
    """
    rows, cols = cost.shape
    if rows == 0 or cols == 0:
        raise ValueError("dtw_path needs a non-empty cost matrix")
    total = np.full((rows + 1, cols + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            total[i, j] = cost[i - 1, j - 1] + min(total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
    path = [(rows - 1, cols - 1)]
    i, j = rows, cols
    while (i, j) != (1, 1):
        options = ((total[i - 1, j - 1], i - 1, j - 1), (total[i - 1, j], i - 1, j), (total[i, j - 1], i, j - 1))
        _, i, j = min(options, key=lambda o: o[0])  # min keeps the first of equals: diagonal, then frame
        path.append((i - 1, j - 1))
    return path[::-1]


def cosine_costs(frames: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(T, d) audio embeddings x (N, d) token embeddings -> (T, N) cosine distances in [0, 2]."""
    import torch.nn.functional as F

    return 1.0 - F.normalize(frames.float(), dim=-1) @ F.normalize(tokens.float(), dim=-1).T


def dtw_align_loss(
    frames: torch.Tensor, frame_lengths: torch.Tensor, tokens: torch.Tensor, token_lengths: torch.Tensor
) -> torch.Tensor:
    """Mean over clips of the mean cosine distance along each clip's DTW path.

    `frames` (B, T, d) adapted audio with `frame_lengths` valid steps; `tokens` (B, N, d) transcript token
    embeddings with `token_lengths` valid tokens (they are detached here).
    """
    losses = []
    for b in range(frames.shape[0]):
        t, n = int(frame_lengths[b]), int(token_lengths[b])
        if t == 0 or n == 0:
            continue
        cost = cosine_costs(frames[b, :t], tokens[b, :n].detach())
        path = dtw_path(cost.detach().cpu().numpy())
        rows, cols = zip(*path, strict=True)
        losses.append(cost[list(rows), list(cols)].mean())
    if not losses:
        return frames.sum() * 0.0
    import torch

    return torch.stack(losses).mean()
