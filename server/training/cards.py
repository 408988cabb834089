"""Model-card fields every trainer writes, and the stages of a model trained in several runs.

A card's ``stages`` lists one entry per run that shaped the weights: a run started with
``--init`` carries the stages of its init file's card on and appends its own, and a resumed
run replaces its own (the last) entry, so the card of a model trained across sessions records
every stage.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

import torch

from .config import RunConfig


def hardware(bf16: bool) -> str:
    """Where a run trains: CPU architecture, torch threads, and whether bf16 autocast was on."""
    text = f"{platform.machine()} CPU, {torch.get_num_threads()} thread(s)"
    return text + (", bf16 autocast" if bf16 else "")


def schedule(config: RunConfig) -> str:
    """The learning-rate schedule in words."""
    text = f"lr {config.lr:g}, {config.warmup} warm-up steps, cosine to {config.min_lr_ratio:g} x lr"
    if config.time_limit > 0:
        text += f" over {config.steps} steps or {config.time_limit:g} min, whichever comes first"
    return text


def weight_average(config: RunConfig) -> str:
    """The ``--ema`` setting in words."""
    return f"exponential moving average, decay {config.ema:g}" if config.ema > 0 else "none"


def run_fields(config: RunConfig, step: int, elapsed: float) -> dict[str, Any]:
    """The card fields every trainer writes."""
    fields: dict[str, Any] = {
        "steps": step,
        "wall_minutes": round(elapsed / 60, 1),
        "hardware": hardware(config.bf16),
        "schedule": schedule(config),
        "weight_average": weight_average(config),
        "seed": config.seed,
    }
    if config.init is not None:
        fields["init"] = config.init.name
    return fields


def carried_stages(previous: Mapping[str, Any], resumed: bool) -> list[dict[str, Any]]:
    """The stages a run continues from ``previous``, the card of its --init file or (resumed) of --out.

    A card without ``stages`` (written before cards had them) counts as one stage. A resumed
    run drops the last stage: it is the one the run is continuing, and it writes it anew.
    """
    if not previous:
        return []
    stages = [dict(stage) for stage in previous.get("stages", [previous])]
    return stages[:-1] if resumed else stages


def training_card(config: RunConfig, step: int, elapsed: float, fields: Mapping[str, Any],
                  carried: list[dict[str, Any]]) -> dict[str, Any]:
    """The card of a run: its shared fields, the trainer's ``fields``, and every stage so far."""
    current = {**run_fields(config, step, elapsed), **fields}
    return {**current, "stages": [*carried, current]}
