"""Texture Multiplier: new variations of a texture or a whole material, any size, seamless.

`quilting` and `synthesis` make a coordinate map (for each output pixel, the exemplar pixel it
copies: large patches joined by minimum cuts, or pixel by pixel where sizes are too small),
`textures` builds the guide it compares and samples every map with it, `variations` runs the two
jobs (variations, make-seamless), `model` is the registry's `multiply` model. `random_phase`
is the baseline and `metrics` the quality measures of `bench/multiply_quality.py`.
"""

from .model import PatchSynthesisModel
from .synthesis import SynthesisSettings
from .textures import TextureSet
from .variations import make_seamless, variation

__all__ = ["PatchSynthesisModel", "SynthesisSettings", "TextureSet", "make_seamless", "variation"]
