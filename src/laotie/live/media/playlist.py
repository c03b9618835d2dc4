"""Wall-clock time in a live HLS playlist: #EXT-X-PROGRAM-DATE-TIME for each segment, from its file.

nginx-rtmp writes a fragment as its frames arrive and closes it when the next keyframe
comes, then lists it in the playlist; it writes no date. A closed fragment's modification
time is therefore when its last frame arrived, and that minus its #EXTINF duration is when
its first frame arrived at the media plane: the moment the host was filmed, give or take
the encoder's own delay. With the date on each segment a player knows the wall-clock time
of the frame it shows (hls.js: `hls.playingDate`), which is what viewer latency is measured
against (see live/media/latency.py).

Pure: the caller stats the files (see HlsFiles in plane.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

PDT_TAG = "#EXT-X-PROGRAM-DATE-TIME:"
_EXTINF = "#EXTINF:"


def segment_names(text: str) -> list[str]:
    """The segment URIs a playlist lists, in order (a URI is any line that is not a tag)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def with_program_date_time(text: str, closed_at: Callable[[str], float | None]) -> str:
    """The playlist with a #EXT-X-PROGRAM-DATE-TIME before each segment whose close time is known.

    `closed_at(uri)` is the segment file's modification time (Unix seconds), or None when it
    is gone or not a plain file name beside the playlist; such a segment gets no date (hls.js
    carries the previous one forward by durations). A playlist that already has dates is the
    packager's own and is left as it is.
    """
    if PDT_TAG in text:
        return text
    lines = text.splitlines()
    out: list[str] = []
    pending: int | None = None  # where in `out` the open segment's #EXTINF is
    duration = 0.0
    for line in lines:
        if line.startswith(_EXTINF):
            pending = len(out)
            try:
                duration = float(line[len(_EXTINF):].split(",", 1)[0])
            except ValueError:
                pending = None
        elif pending is not None and line.strip() and not line.startswith("#"):
            closed = closed_at(line.strip())
            if closed is not None:
                out.insert(pending, PDT_TAG + _iso(closed - duration))
            pending = None
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _iso(seconds: float) -> str:
    """ISO 8601 with milliseconds and the zone, as the HLS specification asks."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
