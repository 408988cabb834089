"""A partner's lineage: which of its model's stages it was fine-tuned from, read from the cards."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from texforge.server.sr.lineage import PartnerLineage, partner_lineage, stale_partners
from texforge.server.sr.upscaler import NeuralUpscaler
from texforge.server.sr.weights import load_network
from texforge.server.weight_files import WEIGHTS_DIR, jpeg_partner_path, model_path, sharp_partner_path

from ..test_catalog import write_tiny_upscaler

FIRST, SECOND, THIRD = {"seed": 1, "steps": 100}, {"seed": 2, "steps": 200}, {"seed": 3, "steps": 300}
GAN = {"seed": 9, "loss": "l1+hfen+ragan"}


def test_a_partner_grown_from_the_shipped_model_is_current() -> None:
    lineage = partner_lineage({"stages": [FIRST, SECOND]}, {"stages": [FIRST, SECOND, GAN]})
    assert lineage == PartnerLineage(grown_from_stage=2, model_stages=2) and lineage.current


def test_a_partner_grown_before_the_model_was_trained_further_is_not_current() -> None:
    lineage = partner_lineage({"stages": [FIRST, SECOND, THIRD]}, {"stages": [FIRST, SECOND, GAN]})
    assert lineage == PartnerLineage(grown_from_stage=2, model_stages=3) and not lineage.current


def test_the_partners_own_stage_never_counts_as_one_of_the_models() -> None:
    # a partner whose fine-tune happens to repeat the model's next stage still only shares what came before it
    lineage = partner_lineage({"stages": [FIRST, SECOND]}, {"stages": [FIRST, SECOND]})
    assert lineage == PartnerLineage(grown_from_stage=1, model_stages=2)


def test_cards_without_stages_have_no_lineage() -> None:
    assert partner_lineage({"seed": 1}, {"stages": [FIRST, GAN]}) is None
    assert partner_lineage({"stages": [FIRST]}, {}) is None


def test_a_card_summary_names_each_stale_partner_once() -> None:
    card = {"partners": {"sharp": PartnerLineage(1, 3).to_card(), "jpeg": PartnerLineage(3, 3).to_card()}}
    assert stale_partners("fast-x4", card) == [
        "fast-x4: its sharp partner was fine-tuned from stage 1 of fast-x4's 3 (an earlier stage; its card has what the pair measures)"]
    assert stale_partners("fast-x4", {"seed": 1}) == []


def test_an_unreadable_partners_entry_is_skipped_not_a_traceback() -> None:
    card = {"partners": {"sharp": "stage two", "jpeg": {"grown_from_stage": 1}, "odd": {"grown_from_stage": "x", "model_stages": 2}}}
    assert stale_partners("fast-x4", card) == []
    assert stale_partners("fast-x4", {"partners": ["sharp"]}) == []


def test_the_upscaler_card_carries_its_partners_lineage_and_logs_a_stale_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_tiny_upscaler(model_path("fast-x4", tmp_path), 4, seed=1, stages=[FIRST, SECOND, THIRD])
    write_tiny_upscaler(sharp_partner_path("fast-x4", tmp_path), 4, seed=2, stages=[FIRST, SECOND, GAN])
    write_tiny_upscaler(jpeg_partner_path("fast-x4", tmp_path), 4, seed=3, stages=[FIRST, SECOND, THIRD, GAN])
    with caplog.at_level(logging.INFO):
        upscaler = NeuralUpscaler.from_file(model_path("fast-x4", tmp_path), sharp_path=sharp_partner_path("fast-x4", tmp_path),
                                            jpeg_path=jpeg_partner_path("fast-x4", tmp_path))
    partners = upscaler.descriptor.card["partners"]
    assert partners["sharp"] == {"grown_from_stage": 2, "model_stages": 3, "current": False}
    assert partners["jpeg"] == {"grown_from_stage": 3, "model_stages": 3, "current": True}
    assert upscaler.descriptor.card["stages"] == [FIRST, SECOND, THIRD]
    assert [record.getMessage() for record in caplog.records if "partner" in record.getMessage()] == [
        "fast-x4: its sharp partner was fine-tuned from stage 2 of fast-x4's 3 (an earlier stage; its card has what the pair measures)"]


def _shipped_card(name: str) -> dict[str, object]:
    return load_network(model_path(name, WEIGHTS_DIR)).card


@pytest.mark.parametrize("model", ["fast-x2", "fast-x4"])
def test_shipped_partners_descend_from_their_shipped_model(model: str) -> None:
    for partner_path in (sharp_partner_path(model, WEIGHTS_DIR), jpeg_partner_path(model, WEIGHTS_DIR)):
        if not partner_path.is_file():
            continue
        lineage = partner_lineage(_shipped_card(model), _shipped_card(partner_path.stem))
        assert lineage is not None and lineage.grown_from_stage >= 1, partner_path.name
