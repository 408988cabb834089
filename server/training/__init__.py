"""What every trainer shares: run options, LR schedule, weight average, bf16 forward, state
files, model cards and the loop skeleton (``texforge train sr`` and ``texforge train material``).

- ``config``: ``RunConfig`` and ``add_run_arguments``, the options every trainer takes.
- ``schedule``: warm-up + cosine learning rate, by steps or by time; when a run is finished.
- ``ema``: ``WeightAverage``, an exponential moving average of a network's weights.
- ``precision``: the bf16 autocast forward pass.
- ``state``: ``TrainingState``, what a run carries from step to step.
- ``checkpoint``: the ``OUT.state.safetensors`` file that lets ``--resume`` continue exactly.
- ``cards``: the model-card fields every trainer writes, with the stages of a model.
- ``loop``: start (init / resume) and the loop; trainers supply step and publish functions.
"""
