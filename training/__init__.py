"""GenDie pipeline stage: training."""
