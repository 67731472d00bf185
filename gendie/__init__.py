"""GenDie's core: the contracts every stage shares, importing no stage and no torch.

    cli      one parser, shared argument validators, one-line errors (exit 2), Ctrl-C (exit 130)
    device   the device contract: angle codes, face list, face and OLED geometry, board facts from the pin map
    budgets  every budget (RAM, flash, MACs, latency), each number once
    arch     the decoder's configuration and its layer list (model, footprint and planner all read it)
    intmodel the integer contract: rounding, requantisation, the integer model, accumulator proofs
    quantize float weights (numpy) -> integer model, calibrated exactly over every device input
    golden   the numpy oracle of the integer contract
    fileio   atomic writes and byte-reproducible .npz files
"""

from gendie import cli as _cli  # noqa: E402,F401  (installs the scripts' quiet Ctrl-C before any heavy import)
