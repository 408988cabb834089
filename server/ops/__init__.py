"""Each queued op's server-side meaning, one module per op: validate, choose the model, run.

The request loop (`server/app.py`) only looks the op up in `PREPARERS`; it never reads an
op's arguments itself.
"""

from __future__ import annotations

from collections.abc import Callable

from ...protocol.constants import Op
from ...protocol.limits import Limits
from ...protocol.messages import Request
from ..registry import ModelRegistry
from . import material, multiply, seamless, upscale
from .common import JobOutcome, PreparedJob

Preparer = Callable[[Request, ModelRegistry, Limits], PreparedJob]

PREPARERS: dict[str, Preparer] = {
    Op.UPSCALE: upscale.prepare,
    Op.MATERIAL: material.prepare,
    Op.MULTIPLY: multiply.prepare,
    Op.SEAMLESS: seamless.prepare,
}
"""Queued op -> the function that validates a request of it and returns the job to run."""

__all__ = ["PREPARERS", "JobOutcome", "PreparedJob", "Preparer"]
