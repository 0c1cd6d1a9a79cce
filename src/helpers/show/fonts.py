"""Finding a Simplified-Chinese font file on this machine (fontTools only, no matplotlib).

Used by the charts (which register the file with matplotlib) and by the page renderer (which
embeds a subset of it). A process that found the face hands it to the processes it starts
(the build's kernels) with :func:`face_env`, so they do not search and parse the font files again.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import AmrbookError

#: Font families tried in order, each with the file names it ships under.
CJK_FONTS = {
    "Noto Sans CJK SC": [
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJKsc-Regular.otf",
        "NotoSansCJK-Regular.otf",
    ],
    "Source Han Sans SC": ["SourceHanSansSC-Regular.otf", "SourceHanSans-Regular.ttc"],
    "Noto Sans SC": ["NotoSansSC-Regular.otf", "NotoSansSC-Regular.ttf", "NotoSansSC[wght].ttf"],
    "PingFang SC": ["PingFang.ttc"],
    "Microsoft YaHei": ["msyh.ttc", "msyh.ttf"],
}
FONT_DIRS = [
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("/System/Library/Fonts"),
    Path("/Library/Fonts"),
    Path.home() / "Library/Fonts",
    Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
]
INSTALL_HINT = (
    "No Simplified-Chinese font found for charts and pages. Install one:\n"
    "  Debian/Ubuntu: sudo apt-get install fonts-noto-cjk\n"
    "  macOS: brew install --cask font-noto-sans-cjk-sc  (PingFang SC also works)\n"
    "  Windows: Microsoft YaHei is built in; or install Noto Sans CJK SC\n"
    "or point AMRBOOK_CJK_FONT at a .otf/.ttf/.ttc file with Chinese glyphs."
)
PROBE = "调解成功率数据来源万亿"
#: The face found by a parent process (:func:`face_env`): used while its files are unchanged.
FACE_ENV = "AMRBOOK_CJK_FACE"


def _unreadable() -> tuple[type[BaseException], ...]:
    """What fontTools raises on a file that is not a font it can read.

    fontTools is imported only when a font file is parsed: a face inherited from a parent process
    (:func:`face_env`; every up-to-date build) is checked without it.
    """
    from fontTools.ttLib import TTLibError

    return (TTLibError, OSError, ValueError, AssertionError, KeyError, EOFError, struct.error)


@dataclass(frozen=True)
class CJKFont:
    """A CJK font face: its family name, the file it is in and its number inside a .ttc.

    ``weights`` lists every file that ships a face of the same family, with its weight class
    (400 regular, 700 bold ...): charts register them all, so a bold title is drawn with the
    family's own bold face and never falls back to another font.
    """

    family: str
    path: Path
    index: int = 0
    weights: tuple[tuple[int, Path], ...] = ()

    @property
    def has_bold(self) -> bool:
        """True when the family ships a face of weight 600 or more."""
        return any(weight >= 600 for weight, _ in self.weights)


def find_cjk_font(known: str = "") -> CJKFont:
    """Find a Simplified-Chinese font face with every probe glyph.

    ``known`` is a face recorded earlier (the value :func:`face_env` gives): taken as found while
    its files and ``AMRBOOK_CJK_FONT`` are unchanged, before the one inherited from a parent process.

    Returns
    -------
    CJKFont

    Raises
    ------
    AmrbookError
        If no candidate is installed (the message says what to install), or the file named
        by ``AMRBOOK_CJK_FONT`` does not exist or lacks Chinese glyphs.
    """
    override = os.environ.get("AMRBOOK_CJK_FONT")
    return (
        _inherited(known, override)
        or _inherited(os.environ.get(FACE_ENV, ""), override)
        or _find(override, tuple(FONT_DIRS))
    )


def recorded_face(known: str = "") -> str:
    """The CJK font face, as :func:`face_env` records it (family, file, face number, and the size and modification
    time of each file of the family); "" when there is none (each notebook that draws then says so).

    ``known``, recorded earlier (by the previous build), is checked (the same files, unchanged, and the same
    ``AMRBOOK_CJK_FONT``) rather than the font folders searched and the font files parsed again.
    """
    try:
        return face_env(find_cjk_font(known))[FACE_ENV]
    except AmrbookError:
        return ""


def face_env(font: CJKFont) -> dict[str, str]:
    """The environment that hands ``font`` to a child process: :func:`find_cjk_font` there takes it as found.

    It records the ``AMRBOOK_CJK_FONT`` it was found under and the size and modification time of
    each file, and is ignored (the fonts searched again) when either differs.
    """
    files = sorted({font.path, *(path for _weight, path in font.weights)})
    return {
        FACE_ENV: json.dumps(
            {
                "override": os.environ.get("AMRBOOK_CJK_FONT"),
                "family": font.family,
                "path": str(font.path),
                "index": font.index,
                "weights": [[weight, str(path)] for weight, path in font.weights],
                "files": {str(p): _signature(p) for p in files},
            },
            ensure_ascii=False,
        )
    }


def _signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _inherited(value: str, override: str | None) -> CJKFont | None:
    """The face of a :func:`face_env` value, or None if there is none or it no longer holds."""
    try:
        face = json.loads(value) if value else None
        if (
            not face
            or face["override"] != override
            or any(_signature(Path(p)) != list(sig) for p, sig in face["files"].items())
        ):
            return None
        return CJKFont(
            face["family"],
            Path(face["path"]),
            int(face["index"]),
            tuple((int(w), Path(p)) for w, p in face["weights"]),
        )
    except (ValueError, TypeError, KeyError, OSError):  # malformed or a file gone: search again
        return None


@lru_cache(maxsize=4)
def _find(override: str | None, dirs: tuple[Path, ...]) -> CJKFont:
    if override:
        if not Path(override).is_file():
            raise AmrbookError(f"AMRBOOK_CJK_FONT={override}: no such font file")
        try:
            face = _best_face(Path(override))
        except _unreadable() as exc:
            raise AmrbookError(
                f"AMRBOOK_CJK_FONT={override}: not a font file fontTools can read "
                f"({type(exc).__name__}: {exc or 'unreadable'}); "
                "point it at a .otf, .ttf or .ttc"
            ) from None
        if face is None:
            raise AmrbookError(f"AMRBOOK_CJK_FONT={override}: the font has no Chinese glyphs")
        return face
    for names in CJK_FONTS.values():
        for folder in dirs:
            if not folder.is_dir():
                continue
            for name in names:
                for path in folder.rglob(name):
                    try:
                        face = _best_face(path)
                    except _unreadable():
                        continue  # a damaged system font: try the next candidate
                    if face:
                        return face
    raise AmrbookError(INSTALL_HINT)


def _faces(path: Path) -> list[tuple[int, str]]:
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in (".ttc", ".otc"):
        with TTCollection(str(path), lazy=True) as collection:
            return [(i, f["name"].getBestFamilyName()) for i, f in enumerate(collection.fonts)]
    with TTFont(str(path), lazy=True) as font:
        return [(0, font["name"].getBestFamilyName())]


def _best_face(path: Path) -> CJKFont | None:
    """Return the Simplified-Chinese face of a font file that has every probe glyph, if any."""
    from fontTools.ttLib import TTFont

    faces = _faces(path)
    preferred = (
        [f for f in faces if f[1] in CJK_FONTS]
        or [f for f in faces if f[1].endswith(" SC")]
        or faces
    )
    for index, family in preferred:
        with TTFont(str(path), fontNumber=index, lazy=True) as face:
            cmap = face.getBestCmap() or {}
        if all(ord(ch) in cmap for ch in PROBE):
            return CJKFont(family, path, index, tuple(_family_files(path, family)))
    return None


def _weight(path: Path, family: str) -> int | None:
    """Weight class of the face of ``family`` in a font file, or None if it has no such face."""
    from fontTools.ttLib import TTFont

    try:
        for index, name in _faces(path):
            if name == family:
                with TTFont(str(path), fontNumber=index, lazy=True) as face:
                    return int(face["OS/2"].usWeightClass) if "OS/2" in face else 400
    except _unreadable():
        return None
    return None


def _family_files(path: Path, family: str) -> list[tuple[int, Path]]:
    """Every file beside ``path`` with a face of ``family`` (NotoSansCJK-Regular.ttc and -Bold.ttc,
    msyh.ttc and msyhbd.ttc), with its weight: the family's weights ship as separate files."""
    stem = path.stem.split("-")[0]
    siblings = sorted(
        p
        for p in path.parent.iterdir()
        if p.suffix.lower() in (".ttc", ".otc", ".otf", ".ttf") and p.name.startswith(stem)
    )
    found = [(w, p) for p in siblings if (w := _weight(p, family)) is not None]
    return sorted(set(found)) or [(400, path)]
