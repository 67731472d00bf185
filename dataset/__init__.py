"""GenDie pipeline stage: dataset."""
