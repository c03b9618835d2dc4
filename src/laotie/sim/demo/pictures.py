"""The demo's pictures: product photos, buyers' review photos and short-video frames, drawn at seed time.

Nothing is downloaded or shipped: each picture is the product's emoji from the Noto Color
Emoji font (OFL, Debian's fonts-noto-color-emoji) drawn large on its category's colour, with
a per-picture variation (gradient angle, hue, placement, a second emoji) taken from the
random stream the caller passes, so the same seed draws the same pictures. Without the font
the pictures are plain shapes with the title, and `Painter.has_emoji` says so.
"""

from __future__ import annotations

import colorsys
import io
import random
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

__all__ = ["EMOJI_FONTS", "TEXT_FONTS", "Look", "Painter", "look_of"]

EMOJI_FONTS = (  # Debian/Ubuntu, then Arch, then Fedora
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    Path("/usr/share/fonts/noto/NotoColorEmoji.ttf"),
    Path("/usr/share/fonts/google-noto-color-emoji-fonts/NotoColorEmoji.ttf"),
)
TEXT_FONTS = (  # CJK glyphs for captions with Chinese in them
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc"),
)
EMOJI_PX = 109  # the one size Noto Color Emoji's bitmaps come in; larger is drawn by scaling
SIDE = 800  # product and review pictures are square, as shopping apps show them ...
DRAWN = 400  # ... drawn at half that and scaled once: the 109-pixel emoji bitmaps hold no more detail
FRAME = (360, 568)  # a video frame: the clip pans a 320-wide window across it, so all that matters is
FRAME_SAFE = (40, 320)  # between these columns, always in view
JPEG_QUALITY = 85
# Pictures may be drawn on several threads at once; a FreeType face must not be used by two at a time.
FONT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Look:
    """How a product is drawn: its emoji, a second one beside it, and the shape drawn without the font."""

    emoji: str
    accent: str
    shape: str = "round"  # round | garment | shoe | bottle | cup | stick
    crown: str = ""  # a small emoji set on the main one's top (a persimmon's calyx)
    tinted: bool = False  # drawn in the option's colour (clothes, shoes)


# Matched in order against the lower-cased title; the first word found wins.
LOOKS: tuple[tuple[str, Look], ...] = (
    ("apple", Look("🍎", "🍏")),
    ("orange", Look("🍊", "🍃")),
    ("mango", Look("🥭", "🌿")),
    ("strawberr", Look("🍓", "🌿")),
    ("melon", Look("🍈", "🍉")),
    ("duck", Look("🦆", "🌶")),
    ("jerky", Look("🥩", "🌶")),
    ("walnut", Look("🍪", "🌰")),
    ("persimmon", Look("🟠", "🍂", crown="🍀")),
    ("sample", Look("🍬", "🎁")),
    ("tieguanyin", Look("🍵", "🫖", shape="cup")),
    ("longjing", Look("🍵", "🌱", shape="cup")),
    ("pu'er", Look("🫖", "🍂", shape="cup")),
    ("dress", Look("👗", "🌸", shape="garment", tinted=True)),
    ("cardigan", Look("🧥", "🧶", shape="garment", tinted=True)),
    ("jeans", Look("👖", "🏷", shape="garment", tinted=True)),
    ("scarf", Look("🧣", "❄", shape="garment", tinted=True)),
    ("polo", Look("👕", "⛳", shape="garment", tinted=True)),
    ("jacket", Look("🧥", "❄", shape="garment", tinted=True)),
    ("chino", Look("👖", "🏷", shape="garment", tinted=True)),
    ("sneaker", Look("👟", "⭐", shape="shoe", tinted=True)),
    ("loafer", Look("👞", "✨", shape="shoe", tinted=True)),
    ("running", Look("👟", "🏃", shape="shoe", tinted=True)),
    ("serum", Look("🧴", "💧", shape="bottle")),
    ("sunscreen", Look("🧴", "☀", shape="bottle")),
    ("cream", Look("🫙", "🌙", shape="bottle")),
    ("lipstick", Look("💄", "💋", shape="stick")),
    ("foundation", Look("🪞", "✨", shape="bottle")),
    ("eyebrow", Look("✏", "👁", shape="stick")),
)
SHAPE_OF_LEAF = {"Fruit 水果": "round", "Snacks 零食": "round", "Tea 茶叶": "cup", "Women 女装": "garment",
                 "Men 男装": "garment", "Shoes 鞋靴": "shoe", "Skincare 护肤": "bottle", "Make-up 彩妆": "stick"}
FALLBACK_EMOJI = {"round": "🧺", "cup": "🍵", "garment": "👕", "shoe": "👟", "bottle": "🧴", "stick": "💄"}

# The category's colour (hue 0–1, saturation, value) — warm for food, green for tea, and so on.
CATEGORY_HSV = {
    "Fruit 水果": (0.08, 0.35, 1.0),
    "Snacks 零食": (0.11, 0.45, 0.98),
    "Tea 茶叶": (0.30, 0.30, 0.90),
    "Women 女装": (0.93, 0.22, 1.0),
    "Men 男装": (0.60, 0.25, 0.92),
    "Shoes 鞋靴": (0.55, 0.12, 0.90),
    "Skincare 护肤": (0.50, 0.22, 0.97),
    "Make-up 彩妆": (0.97, 0.30, 0.98),
}
OTHER_HSV = (0.15, 0.15, 0.95)

COLOUR_RGB = {
    "black": (45, 45, 50), "white": (238, 238, 232), "red": (200, 50, 50), "blue": (55, 100, 200),
    "navy": (40, 52, 95), "beige": (215, 190, 150), "grey": (135, 140, 150), "khaki": (180, 160, 110),
    "pink": (240, 150, 180), "green": (75, 135, 90), "brown": (120, 80, 50), "camel": (190, 150, 100),
    "sky blue": (120, 180, 230), "cream": (245, 232, 200), "olive": (110, 115, 60),
}


def look_of(title: str, leaf: str = "") -> Look:
    """The look for a product title; a title nothing matches gets its category's shape."""
    lowered = title.lower()
    for word, look in LOOKS:
        if word in lowered:
            return look
    shape = SHAPE_OF_LEAF.get(leaf, "round")
    return Look(FALLBACK_EMOJI[shape], "✨", shape=shape)


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return round(r * 255), round(g * 255), round(b * 255)


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int],
              angle: float) -> Image.Image:
    """Two colours blended along a line at `angle` degrees; drawn small, then scaled (it is smooth)."""
    turned = Image.linear_gradient("L").resize((182, 182)).rotate(angle, resample=Image.Resampling.BILINEAR)
    mask = turned.crop((27, 27, 155, 155))  # inside the turned square's corners
    small = Image.composite(Image.new("RGB", mask.size, bottom), Image.new("RGB", mask.size, top), mask)
    return small.resize(size, Image.Resampling.BILINEAR)


def _bokeh(image: Image.Image, rng: random.Random, count: int) -> None:
    """A few soft light circles, the studio backdrop's texture."""
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    w, h = image.size
    for _ in range(count):
        r = rng.randint(w // 14, w // 5)
        x, y = rng.randint(0, w), rng.randint(0, h)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(18, 40))
    image.paste((255, 255, 255), (0, 0, w, h), mask)


def _shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    """A soft shadow under what stands on the backdrop."""
    x0, y0, x1, y1 = box
    pad = 24
    small = Image.new("L", ((x1 - x0 + 2 * pad) // 4, (y1 - y0 + 2 * pad) // 4), 0)
    ImageDraw.Draw(small).ellipse((pad // 4, pad // 4, small.width - pad // 4, small.height - pad // 4), fill=70)
    mask = small.filter(ImageFilter.GaussianBlur(3)).resize((x1 - x0 + 2 * pad, y1 - y0 + 2 * pad))
    image.paste((0, 0, 0), (x0 - pad, y0 - pad), mask)


class Painter:
    """Draws the pictures with these fonts; without an emoji font, plain shapes (`found()` looks for both)."""

    def __init__(self, emoji_font: Path | None, text_font: Path | None) -> None:
        self.emoji_font = emoji_font
        self.text_font = text_font

    @classmethod
    def found(cls) -> Painter:
        """With the fonts installed on this machine, if any."""
        return cls(_first(EMOJI_FONTS), _first(TEXT_FONTS))

    @property
    def has_emoji(self) -> bool:
        return self.emoji_font is not None

    # ---- products --------------------------------------------------------------------------------

    def product(self, title: str, leaf: str, rng: random.Random, *, layout: int = 0,
                colour: str | None = None) -> bytes:
        """One product picture (800×800 JPEG): `layout` 0 is the cover, 1 a group, 2 a close-up."""
        look = look_of(title, leaf)
        image = self._backdrop((DRAWN, DRAWN), leaf, rng)
        tint = COLOUR_RGB.get(colour or "") if look.tinted else None
        if self.emoji_font is None:
            self._plain(image, look, rng, tint)
        elif layout % 3 == 1 and not look.tinted:
            self._group(image, look, rng)
        elif layout % 3 == 2 and not look.tinted:
            self._closeup(image, look, rng)
        else:
            self._hero(image, look, rng, tint)
        return self._finish(image, title if self.emoji_font is None else "")

    def review_photo(self, title: str, leaf: str, rng: random.Random, colour: str | None = None) -> bytes:
        """A buyer's photo of what arrived: the product beside its parcel on a wooden table."""
        look = look_of(title, leaf)
        wood = _rgb(0.08, rng.uniform(0.25, 0.4), rng.uniform(0.75, 0.9))
        image = _gradient((DRAWN, DRAWN), wood, _rgb(0.07, 0.45, 0.6), rng.uniform(60, 120))
        draw = ImageDraw.Draw(image)
        for y in range(rng.randint(0, 30), DRAWN, rng.randint(35, 55)):  # the table's boards
            draw.line((0, y, DRAWN, y + rng.randint(-10, 10)), fill=_rgb(0.07, 0.5, 0.55), width=2)
        tint = COLOUR_RGB.get(colour or "") if look.tinted else None
        if self.emoji_font is None:
            self._plain(image, look, rng, tint)
        else:
            self._place(image, self._glyph("📦", 150, rng.uniform(-15, 15)), (rng.randint(20, 60), 30))
            item = self._glyph(look.emoji, 210, rng.uniform(-25, 25), tint)
            self._place(image, item, (rng.randint(150, 180), rng.randint(150, 180)))
        return self._finish(image, title if self.emoji_font is None else "")

    # ---- video frames ----------------------------------------------------------------------------

    def video_frame(self, title: str, leaf: str, caption: str, n: int, rng: random.Random) -> bytes:
        """A portrait frame for the n-th demo video: its own colour and pattern, the product, the caption.

        As a PPM: ffmpeg reads it again for every frame of the clip, and an uncompressed one costs nothing to read.
        """
        w, h = FRAME
        hue = (n * 0.618034 + rng.uniform(-0.04, 0.04)) % 1.0  # golden-ratio steps: neighbours differ most
        image = _gradient(FRAME, _rgb(hue, 0.55, 0.95), _rgb(hue + 0.08, 0.8, 0.55), rng.uniform(0, 360))
        _pattern(image, n, _rgb(hue, 0.25, 1.0), rng)
        look = look_of(title, leaf)
        if self.emoji_font is None:
            self._plain(image, look, rng, None, box=(60, 110, w - 60, 390))
        else:
            main = self._glyph(look.emoji, 240, rng.uniform(-12, 12))
            at = (w // 2 - main.width // 2, 140)
            self._place(image, main, at)
            if look.crown:
                self._crown(image, look.crown, main, at)
            accent = self._glyph(look.accent, 80, rng.uniform(-20, 20))
            self._place(image, accent, (FRAME_SAFE[1] - accent.width, 50))
        band = Image.new("RGBA", (w, 166), (0, 0, 0, 130))
        image.paste(band, (0, h - 176), band)
        with FONT_LOCK:
            font = self._text_font(24)
            text = _printable(caption, cjk=self.text_font is not None)
            left, right = FRAME_SAFE[0] + 12, FRAME_SAFE[1] - 12
            ImageDraw.Draw(image).multiline_text((left, h - 160), _wrap(text, font, right - left, 4), font=font,
                                                 fill=(255, 255, 255), spacing=6)
        out = io.BytesIO()
        image.save(out, "PPM")
        return out.getvalue()

    # ---- layouts ---------------------------------------------------------------------------------

    def _backdrop(self, size: tuple[int, int], leaf: str, rng: random.Random) -> Image.Image:
        h, s, v = CATEGORY_HSV.get(leaf, OTHER_HSV)
        h += rng.uniform(-0.025, 0.025)
        light = _rgb(h, s * rng.uniform(0.5, 0.8), v)
        deep = _rgb(h + rng.uniform(-0.03, 0.03), s * rng.uniform(1.2, 1.6), v * rng.uniform(0.85, 0.95))
        image = _gradient(size, light, deep, rng.uniform(0, 360))
        _bokeh(image, rng, rng.randint(3, 7))
        return image

    # Layouts draw on the DRAWN-pixel canvas; their sizes and places are in its pixels.

    def _hero(self, image: Image.Image, look: Look, rng: random.Random, tint: tuple[int, int, int] | None) -> None:
        side = rng.randint(215, 260)
        main = self._glyph(look.emoji, side, rng.uniform(-12, 12), tint)
        x = (DRAWN - main.width) // 2 + rng.randint(-25, 25)
        y = (DRAWN - main.height) // 2 + rng.randint(-10, 25)
        _shadow(image, (x + main.width // 6, y + main.height - 20, x + 5 * main.width // 6, y + main.height + 5))
        self._place(image, main, (x, y))
        if look.crown:
            self._crown(image, look.crown, main, (x, y))
        accent = self._glyph(look.accent, rng.randint(60, 85), rng.uniform(-25, 25))
        corner = rng.randrange(4)
        ax = 20 if corner % 2 == 0 else DRAWN - 20 - accent.width
        ay = 20 if corner < 2 else DRAWN - 20 - accent.height
        self._place(image, accent, (ax, ay))

    def _group(self, image: Image.Image, look: Look, rng: random.Random) -> None:
        """Three of them together, as a box or a bunch is sold."""
        spots = [(55, 165), (195, 165), (125, 65)]
        rng.shuffle(spots)
        for x, y in sorted(spots, key=lambda p: p[1]):
            item = self._glyph(look.emoji, rng.randint(150, 170), rng.uniform(-20, 20))
            at = (x + rng.randint(-12, 12), y + rng.randint(-8, 12))
            self._place(image, item, at)
            if look.crown:
                self._crown(image, look.crown, item, at)

    def _crown(self, image: Image.Image, emoji: str, under: Image.Image, at: tuple[int, int]) -> None:
        """A small emoji flattened onto the top of another, as a calyx sits on a persimmon."""
        crown = self._glyph(emoji, under.width // 3, 0)
        crown = crown.resize((crown.width, crown.height * 11 // 20), Image.Resampling.BICUBIC)
        self._place(image, crown, (at[0] + (under.width - crown.width) // 2, at[1] - crown.height // 4))

    def _closeup(self, image: Image.Image, look: Look, rng: random.Random) -> None:
        """The product large enough to run off the edge, with its second emoji in front."""
        main = self._glyph(look.emoji, rng.randint(410, 460), rng.uniform(-20, 20))
        self._place(image, main, (rng.randint(-80, 0), rng.randint(-60, 20)))
        accent = self._glyph(look.accent, 110, rng.uniform(-20, 20))
        self._place(image, accent, (DRAWN - 135 + rng.randint(-10, 10), DRAWN - 135 + rng.randint(-10, 10)))

    def _plain(self, image: Image.Image, look: Look, rng: random.Random,
               tint: tuple[int, int, int] | None, box: tuple[int, int, int, int] | None = None) -> None:
        """Without the emoji font: a simple shape in a deeper shade (the title goes under it, see `_finish`)."""
        w, h = image.size
        x0, y0, x1, y1 = box or (w // 4, h // 6, 3 * w // 4, 7 * h // 12)
        x0, x1 = x0 + rng.randint(-w // 40, w // 40), x1 + rng.randint(-w // 40, w // 40)
        fill = tint or _deeper(image.getpixel((w // 2, h // 2)))
        draw = ImageDraw.Draw(image)
        bw, bh = x1 - x0, y1 - y0
        if look.shape == "garment":
            draw.polygon([(x0 + bw * 0.3, y0), (x0 + bw * 0.7, y0), (x1, y0 + bh * 0.25),
                          (x0 + bw * 0.85, y0 + bh * 0.4), (x0 + bw * 0.8, y1), (x0 + bw * 0.2, y1),
                          (x0 + bw * 0.15, y0 + bh * 0.4), (x0, y0 + bh * 0.25)], fill=fill)
        elif look.shape == "shoe":
            draw.rounded_rectangle((x0, y0 + bh * 0.55, x1, y1), radius=bh // 6, fill=fill)
            draw.rounded_rectangle((x0, y0 + bh * 0.2, x0 + bw * 0.55, y1), radius=bh // 5, fill=fill)
        elif look.shape == "bottle":
            draw.rounded_rectangle((x0 + bw * 0.2, y0 + bh * 0.25, x1 - bw * 0.2, y1), radius=bw // 8, fill=fill)
            draw.rectangle((x0 + bw * 0.38, y0, x1 - bw * 0.38, y0 + bh * 0.25), fill=_darker(fill))
        elif look.shape == "stick":
            draw.rounded_rectangle((x0 + bw * 0.38, y0 + bh * 0.3, x1 - bw * 0.38, y1), radius=bw // 16, fill=fill)
            draw.pieslice((x0 + bw * 0.38, y0, x1 - bw * 0.38, y0 + bh * 0.6), 180, 360, fill=_darker(fill))
        elif look.shape == "cup":
            draw.chord((x0, y0 - bh * 0.4, x1, y1), 0, 180, fill=fill)
            draw.arc((x1 - bw * 0.15, y0 + bh * 0.1, x1 + bw * 0.15, y0 + bh * 0.5), 270, 90, fill=fill,
                     width=max(2, bw // 20))
        else:
            draw.ellipse((x0, y0, x1, y1), fill=fill)
            draw.ellipse((x0 + bw * 0.2, y0 + bh * 0.15, x0 + bw * 0.38, y0 + bh * 0.3), fill=(255, 255, 255))

    def _finish(self, drawn: Image.Image, title: str = "") -> bytes:
        """Scaled to its full size, the title written under a plain shape (sharp: after scaling), as JPEG."""
        image = drawn.resize((SIDE, SIDE), Image.Resampling.BILINEAR)
        if title:
            with FONT_LOCK:
                font = self._text_font(44)
                text = _wrap(_printable(title, cjk=self.text_font is not None), font, SIDE - 120)
                ImageDraw.Draw(image).multiline_text((SIDE // 2, 3 * SIDE // 4 + 20), text, font=font,
                                                     fill=(40, 40, 40), anchor="ma", align="center", spacing=8)
        return _jpeg(image)

    # ---- drawing helpers -------------------------------------------------------------------------

    def _glyph(self, emoji: str, side: int, angle: float, tint: tuple[int, int, int] | None = None) -> Image.Image:
        assert self.emoji_font is not None
        glyph = _emoji(str(self.emoji_font), emoji)
        if tint is not None:
            glyph = _tinted(glyph, tint)
        scale = side / max(glyph.size)
        if angle:  # turned while small: rotating the scaled-up glyph costs ten times more
            glyph = glyph.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
        return glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))),
                            Image.Resampling.BICUBIC)

    @staticmethod
    def _place(image: Image.Image, glyph: Image.Image, at: tuple[int, int]) -> None:
        image.paste(glyph, at, glyph)

    def _text_font(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if self.text_font is not None:
            return _font(str(self.text_font), size)
        return ImageFont.load_default(size=size)


def _first(paths: tuple[Path, ...]) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout engine on purpose: the same pictures whether or not libraqm is installed.
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


@cache
def _emoji(path: str, emoji: str) -> Image.Image:
    """The emoji's bitmap, cropped to what it covers."""
    canvas = Image.new("RGBA", (2 * EMOJI_PX, 2 * EMOJI_PX), (0, 0, 0, 0))
    with FONT_LOCK:
        ImageDraw.Draw(canvas).text((EMOJI_PX, EMOJI_PX), emoji.replace("\ufe0f", ""), font=_font(path, EMOJI_PX),
                                    embedded_color=True, anchor="mm")
    box = canvas.getbbox()
    return canvas.crop(box) if box else canvas


def _tinted(glyph: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """The glyph's light and shade kept, its colour replaced: a garment in the option's colour."""
    dark = tuple(round(c * 0.35) for c in colour)
    light = tuple(min(255, round(c + (255 - c) * 0.55)) for c in colour)
    shaded = ImageOps.colorize(ImageOps.autocontrast(glyph.convert("L")), black=dark, white=light, mid=colour)
    shaded.putalpha(glyph.getchannel("A"))
    return shaded


def _pattern(image: Image.Image, n: int, colour: tuple[int, int, int], rng: random.Random) -> None:
    """Stripes, dots, checks, rings or diagonals, by the video's number: posters that tell videos apart."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    fill = (*colour, 60)
    w, h = image.size
    step = rng.randint(36, 60)
    kind = n % 5
    if kind == 0:
        for x in range(0, w, step):
            draw.rectangle((x, 0, x + step // 3, h), fill=fill)
    elif kind == 1:
        for y in range(0, h, step):
            for x in range((y // step % 2) * step // 2, w, step):
                draw.ellipse((x - 8, y - 8, x + 8, y + 8), fill=fill)
    elif kind == 2:
        for y in range(0, h, step):
            for x in range(0, w, step):
                if (x // step + y // step) % 2 == 0:
                    draw.rectangle((x, y, x + step, y + step), fill=fill)
    elif kind == 3:
        cx, cy = rng.randint(0, w), rng.randint(0, h)
        for r in range(step, 2 * h, step):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fill, width=10)
    else:
        for x in range(-h, w, step):
            draw.line((x, 0, x + h, h), fill=fill, width=12)
    image.paste(layer, (0, 0), layer)


def _darker(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = colour
    return round(r * 0.6), round(g * 0.6), round(b * 0.6)


def _deeper(pixel: object) -> tuple[int, int, int]:
    """The backdrop's colour, saturated: the plain shape's fill."""
    r, g, b = pixel[:3] if isinstance(pixel, tuple) else (128, 128, 128)
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return _rgb(h, s * 2.2 + 0.2, v * 0.8)


def _printable(text: str, *, cjk: bool) -> str:
    """What the text font can draw: emoji dropped always, Chinese too when there is no CJK font."""
    def keep(ch: str) -> bool:
        code = ord(ch)
        if code < 0x2000 or 0x2010 <= code <= 0x206F:
            return True
        return cjk and (0x3000 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF)
    return " ".join("".join(ch for ch in text if keep(ch)).split())


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, most: int = 3) -> str:
    """Lines no wider than `width`, broken between words (or between Chinese characters)."""
    lines: list[str] = []
    line = ""
    for word in text.replace("，", "， ").split(" "):
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return "\n".join(lines[:most])


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
