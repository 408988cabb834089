"""Which stage of its model a partner network (sharp, JPEG-robust) was fine-tuned from.

A partner is fine-tuned from its model, so its card's `stages` start with the model's stages as
they were then (the trainers carry an `--init` file's stages on, `server/training/cards.py`). When
the model is trained further and replaced, the partner still descends from the older stage: the
detail slider then blends towards a network grown from weights the model no longer has. Reading
that from the cards lets the server say so instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PartnerLineage:
    """How much of its model's training history a partner shares."""

    grown_from_stage: int
    """The partner was fine-tuned from the model after this many of the model's stages."""
    model_stages: int
    """How many stages the model has now."""

    @property
    def current(self) -> bool:
        """Whether the partner was fine-tuned from the model as it is shipped."""
        return self.grown_from_stage == self.model_stages

    @classmethod
    def from_card(cls, entry: Mapping[str, Any]) -> PartnerLineage:
        """Read back what `to_card` wrote (a client reading a `models` reply)."""
        return cls(grown_from_stage=int(entry["grown_from_stage"]), model_stages=int(entry["model_stages"]))

    def to_card(self) -> dict[str, Any]:
        """The lineage as the model card summary (`card.partners.<kind>`) carries it."""
        return {"grown_from_stage": self.grown_from_stage, "model_stages": self.model_stages,
                "current": self.current}


def partner_lineage(model_card: Mapping[str, Any], partner_card: Mapping[str, Any]) -> PartnerLineage | None:
    """The partner's lineage from both cards' `stages`, or None when either card lacks them."""
    model_stages = model_card.get("stages")
    partner_stages = partner_card.get("stages")
    if not isinstance(model_stages, list) or not isinstance(partner_stages, list) or not model_stages:
        return None
    shared = 0
    # the partner's own last stage is its fine-tune, never one of the model's
    for model_stage, partner_stage in zip(model_stages, partner_stages[:-1], strict=False):
        if model_stage != partner_stage:
            break
        shared += 1
    return PartnerLineage(grown_from_stage=shared, model_stages=len(model_stages))


def stale_partners(model: str, card: Mapping[str, Any]) -> list[str]:
    """A line for each partner in a card summary (`card.partners`) grown from an earlier stage."""
    partners = card.get("partners")
    if not isinstance(partners, Mapping):
        return []
    lines = []
    for kind, entry in partners.items():
        try:
            lineage = PartnerLineage.from_card(entry)
        except (KeyError, TypeError, ValueError):
            continue  # another server's card summary: what cannot be read is not worth failing a listing for
        if not lineage.current:
            lines.append(stale_partner_message(model, str(kind), lineage))
    return lines


def stale_partner_message(model: str, kind: str, lineage: PartnerLineage) -> str:
    """One line for a partner grown from an earlier stage of its model."""
    return (f"{model}: its {kind} partner was fine-tuned from stage {lineage.grown_from_stage} of "
            f"{model}'s {lineage.model_stages} (an earlier stage; its card has what the pair measures)")
