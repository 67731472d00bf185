"""GenDie pipeline stage: export."""
