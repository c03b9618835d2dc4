"""Wall-clock time in the served playlist: each segment dated from its file (no nginx needed)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from laotie.config import Settings
from laotie.live.media.playlist import PDT_TAG, with_program_date_time
from tests.conftest import make_settings
from tests.support import Api

# As nginx-rtmp writes it: closed fragments only, the oldest first, a discontinuity after a reconnect.
PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-TARGETDURATION:1
#EXTINF:1.000,
room-7.ts
#EXTINF:1.040,
room-8.ts
#EXT-X-DISCONTINUITY
#EXTINF:0.960,
room-9.ts
"""
# When nginx closed each fragment (its file's modification time).
CLOSED = {"room-7.ts": 1_775_000_000.250, "room-8.ts": 1_775_000_001.290, "room-9.ts": 1_775_000_030.000}


def _dates(text: str) -> list[tuple[str, str]]:
    """(date, segment) for each dated segment, as a player reads them."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith(PDT_TAG):
            segment = next(x for x in lines[i + 1:] if not x.startswith("#"))
            found.append((line.removeprefix(PDT_TAG), segment))
    return found


def test_each_segment_is_dated_from_its_close_minus_its_duration() -> None:
    text = with_program_date_time(PLAYLIST, CLOSED.get)
    assert _dates(text) == [("2026-03-31T23:33:19.250Z", "room-7.ts"),  # 0.250 − 1.000
                            ("2026-03-31T23:33:20.250Z", "room-8.ts"),  # 1.290 − 1.040
                            ("2026-03-31T23:33:49.040Z", "room-9.ts")]  # 30.000 − 0.960, after the gap
    assert datetime.fromisoformat("2026-03-31T23:33:19.250Z") == datetime.fromtimestamp(1_775_000_000 - 0.75, UTC)
    # The tag sits right before the segment's #EXTINF; nothing else changes.
    lines = text.splitlines()
    assert lines[lines.index("room-9.ts") - 2].startswith(PDT_TAG)
    assert [x for x in lines if not x.startswith(PDT_TAG)] == PLAYLIST.splitlines()
    assert text.endswith("room-9.ts\n")


def test_a_segment_without_a_file_gets_no_date_and_a_dated_playlist_is_left_alone() -> None:
    text = with_program_date_time(PLAYLIST, {"room-8.ts": CLOSED["room-8.ts"]}.get)
    assert [segment for _, segment in _dates(text)] == ["room-8.ts"]
    assert with_program_date_time(text, CLOSED.get) == text  # the packager's own dates win
    unreadable = "#EXTM3U\n#EXTINF:oops,\nroom-1.ts\n"
    assert with_program_date_time(unreadable, CLOSED.get) == unreadable


@pytest.fixture
def settings(tmp_path: Path, migrated_sqlite: Path) -> Settings:
    """The app's settings with the media plane's folder in this test's own directory."""
    shutil.copy(migrated_sqlite, tmp_path / "laotie.db")
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'laotie.db'}", media_prefix=tmp_path / "plane")


def _write(folder: Path, name: str, text: str, mtime: float) -> None:
    path = folder / name
    path.write_text(text)
    os.utime(path, (mtime, mtime))


async def test_served_playlists_carry_the_dates_and_follow_rotation(api: Api) -> None:
    hls = api.db.settings.media_prefix / "hls"
    hls.mkdir(parents=True)
    for name, closed in CLOSED.items():
        _write(hls, name, "fragment", closed)
    _write(hls, "room.m3u8", PLAYLIST, 1_775_000_030.0)
    r = await api.client.get("/hls/room.m3u8")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert r.headers["cache-control"] == "no-cache"
    assert [d for d, _ in _dates(r.text)] == ["2026-03-31T23:33:19.250Z", "2026-03-31T23:33:20.250Z",
                                             "2026-03-31T23:33:49.040Z"]
    assert int(r.headers["content-length"]) == len(r.content)
    # Revalidation by the ETag; the fragment itself is served as it is.
    again = await api.client.get("/hls/room.m3u8", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    fragment = await api.client.get("/hls/room-7.ts")
    assert (fragment.status_code, fragment.text, fragment.headers["content-type"]) == (200, "fragment", "video/mp2t")

    # nginx rotates: room-7 is gone, room-10 is new, the playlist is rewritten. The cached copy is not served.
    (hls / "room-7.ts").unlink()
    _write(hls, "room-10.ts", "fragment", 1_775_000_031.0)
    rotated = PLAYLIST.replace("#EXT-X-MEDIA-SEQUENCE:7", "#EXT-X-MEDIA-SEQUENCE:8") \
        .replace("#EXTINF:1.000,\nroom-7.ts\n", "") + "#EXTINF:1.000,\nroom-10.ts\n"
    _write(hls, "room.m3u8", rotated, 1_775_000_031.0)
    r = await api.client.get("/hls/room.m3u8", headers={"if-none-match": r.headers["etag"]})
    assert r.status_code == 200
    assert _dates(r.text) == [("2026-03-31T23:33:20.250Z", "room-8.ts"), ("2026-03-31T23:33:49.040Z", "room-9.ts"),
                              ("2026-03-31T23:33:50.000Z", "room-10.ts")]
    head = await api.client.head("/hls/room.m3u8")
    assert head.status_code == 200 and head.headers["content-length"] == r.headers["content-length"]


async def test_a_segment_name_outside_the_folder_is_not_looked_at(api: Api) -> None:
    hls = api.db.settings.media_prefix / "hls"
    hls.mkdir(parents=True)
    outside = hls.parent / "secret.ts"
    _write(hls.parent, "secret.ts", "x", 1_775_000_000.0)
    _write(hls, "evil.m3u8", f"#EXTM3U\n#EXTINF:1.000,\n../secret.ts\n#EXTINF:1.000,\n{outside}\n", 1_775_000_000.0)
    r = await api.client.get("/hls/evil.m3u8")
    assert r.status_code == 200 and PDT_TAG not in r.text
