"""Shipped weight files: where they live, how they are named, how they become models.

One naming rule, used by the catalog, the benches and the trainers' outputs alike:
- `<name>.safetensors` holds the model called `<name>`, `<name>.md` its model card;
- `<name>-sharp.safetensors` is the sharp (GAN) partner of upscaler `<name>`, blended in by the
  `detail` argument, and `<name>-jpeg.safetensors` its JPEG-robust partner, run for `jpeg_source`
  requests; neither is offered as a model of its own;
- `<name>.state.safetensors` is a training state (optimiser, raw weights): never shipped, never loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import safe_open

from .contract import MaterialModel, UpscaleModel

if TYPE_CHECKING:
    from .sr.upscaler import NeuralUpscaler

# The naming rule (first half) is also what the trainers use to place their state files, so this
# module imports the model code (second half) only inside the functions that load models: a
# trainer of one half must not import the other half.

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
"""The package's shipped weights and cards."""
MODEL_SUFFIX = ".safetensors"
SHARP_SUFFIX = "-sharp"
JPEG_SUFFIX = "-jpeg"
PARTNER_SUFFIXES = (SHARP_SUFFIX, JPEG_SUFFIX)
STATE_SUFFIX = ".state.safetensors"


def model_path(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Where the model called `name` lives."""
    return weights_dir / f"{name}{MODEL_SUFFIX}"


def sharp_partner_path(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Where the sharp partner of upscaler `name` lives (whether or not it exists)."""
    return model_path(name + SHARP_SUFFIX, weights_dir)


def jpeg_partner_path(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Where the JPEG-robust partner of upscaler `name` lives (whether or not it exists)."""
    return model_path(name + JPEG_SUFFIX, weights_dir)


def state_path(out: Path) -> Path:
    """The training state file next to the output weights `out`."""
    return out.with_name(out.name.removesuffix(MODEL_SUFFIX) + STATE_SUFFIX)


def model_name(path: Path) -> str:
    """The model name a weights file is offered under."""
    return path.name.removesuffix(MODEL_SUFFIX)


def is_offered(path: Path) -> bool:
    """Whether a weights file is a model of its own (not a partner, not a training state)."""
    return not path.name.endswith(STATE_SUFFIX) and not model_name(path).endswith(PARTNER_SUFFIXES)


def offered_files(weights_dir: Path = WEIGHTS_DIR) -> list[Path]:
    """The model files of a weights folder, sorted by name."""
    return sorted(path for path in weights_dir.glob(f"*{MODEL_SUFFIX}") if is_offered(path))


def _metadata(path: Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        return dict(handle.metadata() or {})


def is_sr_weights(path: Path) -> bool:
    """Whether a weights file holds one of our super-resolution families (by its metadata)."""
    from .sr.archs import FAMILIES
    from .sr.weights import ARCH_KEY

    return _metadata(path).get(ARCH_KEY) in {family.name for family in FAMILIES}


def is_material_weights(path: Path) -> bool:
    """Whether a weights file holds a material network (by its metadata)."""
    from .material.weights import FORMAT

    return _metadata(path).get("format") == FORMAT


def load_upscaler_file(path: Path, name: str | None = None, device: str = "cpu", precision: str = "fp32") -> NeuralUpscaler:
    """An upscaler from one of our weights files, paired with its partners when they exist."""
    from .sr.upscaler import NeuralUpscaler

    sharp, jpeg = (partner(model_name(path), path.parent) for partner in (sharp_partner_path, jpeg_partner_path))
    return NeuralUpscaler.from_file(path, name=name or model_name(path), device=device,
                                    sharp_path=sharp if sharp.is_file() else None,
                                    jpeg_path=jpeg if jpeg.is_file() else None, precision=precision)


def shipped_upscalers(device: str = "cpu", weights_dir: Path = WEIGHTS_DIR, precision: str = "fp32") -> list[NeuralUpscaler]:
    """Every super-resolution model of `weights_dir`, named after its file, with its partner."""
    return [load_upscaler_file(path, device=device, precision=precision)
            for path in offered_files(weights_dir) if is_sr_weights(path)]


def shipped_material_files(weights_dir: Path = WEIGHTS_DIR) -> list[Path]:
    """The material network files of `weights_dir`, sorted by name."""
    return [path for path in offered_files(weights_dir) if is_material_weights(path)]


def shipped_material_models(device: str = "cpu", weights_dir: Path = WEIGHTS_DIR,
                            include_heuristic: bool = True) -> list[MaterialModel]:
    """The packaged material networks, then the heuristic; a file that fails to load is logged and skipped."""
    from .material.models import HeuristicMaterialModel, NeuralMaterialModel

    models: list[MaterialModel] = []
    for path in shipped_material_files(weights_dir):
        try:
            models.append(NeuralMaterialModel.from_file(path, device, name=model_name(path)))
        except (ValueError, OSError, RuntimeError, KeyError) as error:
            log.warning("skipping material weights %s: %s", path, error)
    if include_heuristic:
        models.append(HeuristicMaterialModel())
    return models


def load_upscaler(name_or_path: str, device: str = "cpu", weights_dir: Path = WEIGHTS_DIR,
                  precision: str = "fp32") -> UpscaleModel:
    """`bicubic`, a shipped model name (`fast-x4`), or a path to a weights file (benches, scripts)."""
    from .sr.community import CommunityModelError, load_community_upscaler
    from .sr.upscaler import BicubicUpscaler

    if name_or_path == "bicubic":
        return BicubicUpscaler(device=device)
    path = Path(name_or_path)
    if path.is_file() and path.suffix == MODEL_SUFFIX and is_sr_weights(path):
        return load_upscaler_file(path, device=device, precision=precision)
    if path.is_file():
        return load_community_upscaler(path, device=device)
    shipped = model_path(name_or_path, weights_dir)
    if shipped.is_file():
        return load_upscaler_file(shipped, device=device, precision=precision)
    raise CommunityModelError(f"{name_or_path!r} is neither 'bicubic', a shipped model, nor a file")
