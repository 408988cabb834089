"""Neural texture super-resolution: networks, training, tiled inference and the upscalers."""
