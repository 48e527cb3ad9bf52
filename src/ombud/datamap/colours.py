"""WCAG 2.1 contrast of brand colours: ratios, and the nearest colour that reaches AA."""

from __future__ import annotations

# WCAG 2.1 AA: 4.5:1 for body text and links (1.4.3).
AA_TEXT = 4.5
WHITE = "#ffffff"
BLACK = "#000000"


def normalise(colour: str) -> str:
    """``#ABC`` or ``#aabbcc`` -> ``#aabbcc`` (lower case, six digits)."""
    text = colour.strip().lower()
    if len(text) == 4:
        text = "#" + "".join(c * 2 for c in text[1:])
    return text


def _rgb(colour: str) -> tuple[int, int, int]:
    text = normalise(colour)
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1 definition)."""
    r, g, b = (_channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """Contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def best_text(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    return BLACK if contrast(background, BLACK) >= contrast(background, WHITE) else WHITE


def nearest_passing(colour: str, against: str, ratio: float = AA_TEXT) -> str:
    """The colour of the same hue, darkened or lightened in small steps, that first reaches
    ``ratio`` against ``against`` (black or white as a last resort)."""
    r, g, b = _rgb(colour)
    towards = 0 if luminance(against) > 0.18 else 255
    for step in range(1, 101):
        f = step / 100
        mixed = tuple(round(v + (towards - v) * f) for v in (r, g, b))
        candidate = "#{:02x}{:02x}{:02x}".format(*mixed)
        if contrast(candidate, against) >= ratio:
            return candidate
    return best_text(against)
