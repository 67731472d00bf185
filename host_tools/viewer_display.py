"""How the frame viewer shows a face: terminal half-block pictures, PNG files, a matplotlib window."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from gendie.device import FACE
from gendie.fileio import atomic_write

_GREYS_256 = [(16, 0)] + [(232 + i, 8 + 10 * i) for i in range(24)] + [(231, 255)]


def _grey256(v: int) -> int:
    return min(_GREYS_256, key=lambda iv: abs(iv[1] - v))[0]


def render_face(pixels: bytes, scale: int = 2, color: str = "truecolor") -> str:
    """Terminal picture of a 32x32 face: each character cell shows two pixel rows with half blocks."""
    w = FACE * scale
    img = [[pixels[(y // scale) * FACE + x // scale] for x in range(w)] for y in range(FACE * scale)]
    if len(img) % 2:
        img.append([0] * w)
    if color == "none":
        ramp = " .:-=+*#%@"
        return "\n".join("".join(ramp[(t + b) * len(ramp) // 512] for t, b in zip(img[y], img[y + 1]))
                         for y in range(0, len(img), 2)) + "\n"
    if color == "256":
        def fg(v: int) -> str: return f"\x1b[38;5;{_grey256(v)}m"
        def bg(v: int) -> str: return f"\x1b[48;5;{_grey256(v)}m"
        def key(v: int) -> int: return _grey256(v)
    else:
        def fg(v: int) -> str: return f"\x1b[38;2;{v};{v};{v}m"
        def bg(v: int) -> str: return f"\x1b[48;2;{v};{v};{v}m"
        def key(v: int) -> int: return v
    lines = []
    for y in range(0, len(img), 2):
        parts, last = [], None
        for t, b in zip(img[y], img[y + 1]):
            if key(t) == key(b):
                code, ch = fg(t), "\u2588"  # full block: both halves alike
            else:
                code, ch = fg(t) + bg(b), "\u2580"  # upper half block: top in fg, bottom in bg
            if code != last:
                parts.append("\x1b[0m" + code)
                last = code
            parts.append(ch)
        lines.append("".join(parts) + "\x1b[0m")
    return "\n".join(lines) + "\n"


class FaceDisplay:
    """Where faces go: the terminal (unless off), a folder of PNGs, a live plot window."""

    def __init__(self, out: TextIO, terminal: bool = True, scale: int = 2, color: str = "truecolor",
                 save: Path | None = None, png_scale: int = 4, show: bool = False) -> None:
        self.out, self.terminal, self.scale, self.color = out, terminal, scale, color
        self.save, self.png_scale, self.show = save, png_scale, show
        self._plot = None

    def face(self, roll: int, pixels: bytes, pips: int | None) -> None:
        if self.terminal:
            print(f"face of roll #{roll}" + (f" (pips {pips})" if pips else ""), file=self.out)
            print(render_face(pixels, self.scale, self.color), end="", file=self.out, flush=True)
        if self.save:
            self._save_png(roll, pixels, pips)
        if self.show:
            self._plot_face(roll, pixels, pips)

    def _save_png(self, roll: int, pixels: bytes, pips: int | None) -> None:
        from PIL import Image
        img = Image.frombytes("L", (FACE, FACE), bytes(pixels))
        img = img.resize((FACE * self.png_scale, FACE * self.png_scale), Image.NEAREST)
        with atomic_write(self.save / (f"roll{roll:06d}" + (f"_p{pips}" if pips else "") + ".png")) as f:
            img.save(f, format="PNG")

    def _plot_face(self, roll: int, pixels: bytes, pips: int | None) -> None:
        import matplotlib.pyplot as plt
        import numpy as np
        a = np.frombuffer(bytes(pixels), dtype=np.uint8).reshape(FACE, FACE)
        if self._plot is None:
            plt.ion()
            fig, ax = plt.subplots(figsize=(3, 3))
            ax.axis("off")
            self._plot = (fig, ax, ax.imshow(a, cmap="gray", vmin=0, vmax=255, interpolation="nearest"))
        fig, ax, im = self._plot
        im.set_data(a)
        ax.set_title(f"roll #{roll}" + (f"  pips {pips}" if pips else ""))
        plt.pause(0.001)

    def keep_window_open(self) -> None:
        """Block until the user closes the plot window, if one was opened."""
        if self._plot is not None:
            import matplotlib.pyplot as plt
            plt.ioff()
            plt.show()
