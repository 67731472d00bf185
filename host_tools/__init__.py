"""GenDie pipeline stage: host_tools."""
