"""Diagnostic models for exercising the server (queueing, progress, cancel, failures).

Registered only with `texforge serve --diagnostic-models`; never listed otherwise. They do
no image processing worth the name and say so in their descriptors.
"""

from __future__ import annotations

import time

import numpy as np

from .contract import JobContext, ModelDescriptor, UpscaleRequest

STEP_SECONDS = 0.1


class SlowUpscaler:
    """Nearest-neighbour upscale that first waits `steps` x 0.1 s, reporting progress each step.

    The number of steps is the image's top-left pixel value (uint8), so a client controls
    the duration without extra protocol arguments.
    """

    descriptor = ModelDescriptor(
        name="diagnostic-slow",
        kind="upscale",
        architecture="diagnostic",
        scales=(2, 4),
        description="Diagnostic: waits, reports progress, nearest-neighbour output (not for real use)",
    )

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Wait in cancellable steps, then repeat pixels."""
        steps = int(request.image.reshape(-1)[0])
        for step in range(steps):
            context.progress(step, steps, "waiting")
            time.sleep(STEP_SECONDS)
        context.progress(steps, steps, "waiting")
        return np.repeat(np.repeat(request.image, request.args.scale, axis=0), request.args.scale, axis=1)


class FailingUpscaler:
    """Raises inside the job, as a model running out of memory would."""

    descriptor = ModelDescriptor(
        name="diagnostic-fail",
        kind="upscale",
        architecture="diagnostic",
        scales=(2, 4),
        description="Diagnostic: always fails inside the job (not for real use)",
    )

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Raise a RuntimeError as an allocator would."""
        raise RuntimeError("simulated failure: out of memory (diagnostic model)")
