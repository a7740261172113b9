"""Where torch models run: decided here, once, for every caller.

CUDA when present (bf16 where the GPU supports it), else CPU. ``NLP_SERVICE_DEVICE`` overrides
(``cpu``, ``cuda``, ``cuda:1``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class DevicePlan:
    """The device and the floating-point type models should use there."""

    device: str
    dtype: str  # "float32", "bfloat16" or "float16"

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")


@cache
def device_plan() -> DevicePlan:
    """Pick the device once per process.

    >>> device_plan().device in {"cpu", "cuda"} or device_plan().device.startswith("cuda:")
    True
    """
    import torch

    wanted = os.environ.get("NLP_SERVICE_DEVICE", "").strip().lower()
    if wanted == "cpu" or (not wanted and not torch.cuda.is_available()):
        return DevicePlan("cpu", "float32")
    device = wanted or "cuda"
    dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return DevicePlan(device, dtype)
