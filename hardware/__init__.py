"""GenDie hardware: the pin map and everything generated from it (header, netlist, drawings, tables)."""
