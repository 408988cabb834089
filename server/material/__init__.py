"""SVBRDF estimation from flash (and optional no-flash guide) photos of flat surfaces."""
