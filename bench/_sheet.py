"""The contact sheets' layout: titled columns, one labelled row of equal square cells per item."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PIL import Image, ImageDraw

LABEL = 14
"""Height of a title or row label, pixels."""


def contact_sheet(columns: Sequence[str], rows: Iterable[tuple[str, Sequence[Image.Image]]], cell: int,
                  background: str | tuple[int, int, int] = "white",
                  ink: str | tuple[int, int, int] = "black") -> Image.Image:
    """A sheet of `cell` x `cell` images: column titles on top, each row's label above its cells."""
    rows = list(rows)
    sheet = Image.new("RGB", (cell * len(columns), LABEL + (cell + LABEL) * len(rows)), background)
    draw = ImageDraw.Draw(sheet)
    for column, title in enumerate(columns):
        draw.text((column * cell + 4, 1), title, fill=ink)
    for index, (label, images) in enumerate(rows):
        top = LABEL + index * (cell + LABEL)
        draw.text((4, top + 1), label, fill=ink)
        for column, image in enumerate(images):
            sheet.paste(image, (column * cell, top + LABEL))
    return sheet
