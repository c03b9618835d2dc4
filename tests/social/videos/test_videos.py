"""Short videos: upload checks, the product cart, likes, comments, plays, removal, buying from the video page."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from laotie.models import Order, OutboxEvent, Video, VideoComment, VideoLike, VideoProduct
from tests.serving import require
from tests.support import Api, both_databases
from tests.web.test_pages import csrf_of, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_clip(out: Path) -> Path:
    """A real 2-second portrait H.264 clip, made by ffmpeg (skipped without it, failed under CI)."""
    ffmpeg = shutil.which("ffmpeg")
    require(ffmpeg is not None, "video tests need ffmpeg (apt-get install ffmpeg)")
    assert ffmpeg is not None
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=size=320x568:rate=25", "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264",
                    "-movflags", "+faststart", str(out)], check=True, timeout=60)
    return out


@pytest.fixture(scope="session")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("video") / "out.mp4").read_bytes()


def media(api: Api) -> Path:
    return Path(api.db.settings.media_dir).resolve()


def stored_files(api: Api) -> list[Path]:
    folder = media(api) / "videos"
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def upload(api: Api, token: str, data: bytes, *, expect: int | None = 201, caption: str = "",
                 product_ids: list[int] | str | None = None, filename: str = "clip.mp4",
                 content_type: str = "video/mp4") -> dict[str, Any]:
    form: dict[str, Any] = {"caption": caption}
    if isinstance(product_ids, str):
        form["product_ids"] = product_ids
    elif product_ids is not None:
        form["product_ids"] = [str(p) for p in product_ids]
    r = await api.call("POST", "/api/v1/videos", token, expect=expect, data=form,
                       files={"file": (filename, data, content_type)})
    body: dict[str, Any] = r.json()
    return body


async def counts(api: Api) -> tuple[int, int, int]:
    async with api.db.transaction() as s:
        videos = (await s.execute(select(func.count()).select_from(Video))).scalar_one()
        items = (await s.execute(select(func.count()).select_from(VideoProduct))).scalar_one()
        published = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                     .where(OutboxEvent.name == "video.published"))).scalar_one()
    return int(videos), int(items), int(published)


async def events(api: Api, name: str) -> list[dict[str, Any]]:
    async with api.db.transaction() as s:
        rows = (await s.execute(select(OutboxEvent.payload).where(OutboxEvent.name == name)
                                .order_by(OutboxEvent.id))).scalars().all()
    return [dict(r) for r in rows]


async def test_upload_stores_the_file_and_its_poster(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    merchant, product, sku = await api.merchant_with_product(await api.category(op))
    video = await upload(api, merchant, mp4, caption="  苹果开箱 <b>bold</b>\n第二行  ", product_ids=[product])
    assert video["caption"] == "苹果开箱 <b>bold</b>\n第二行"
    assert video["size_bytes"] == len(mp4) and video["status"] == "published"
    assert 1900 <= video["duration_ms"] <= 2100
    assert re.fullmatch(r"/media/videos/[0-9a-f]{32}\.mp4", video["video_url"])
    assert video["poster_url"] == video["video_url"][:-4] + ".jpg"
    poster = media(api) / video["poster_url"].removeprefix("/media/")
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    assert (media(api) / video["video_url"].removeprefix("/media/")).read_bytes() == mp4
    assert [(p["product_id"], p["sku_id"], p["buy_url"]) for p in video["products"]] == [
        (product, sku, f"/checkout?sku={sku}&src=video:{video['id']}")]
    assert (video["plays"], video["likes"], video["comments"], video["liked"]) == (0, 0, 0, False)

    # anyone can watch: the API, the file itself, the owner's list
    seen = (await api.call("GET", f"/api/v1/videos/{video['id']}", expect=200)).json()
    assert seen["owner_id"] == video["owner_id"] and seen["products"] == video["products"]
    served = await api.client.get(video["video_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    mine = (await api.call("GET", f"/api/v1/users/{video['owner_id']}/videos", expect=200)).json()
    assert [v["id"] for v in mine["items"]] == [video["id"]] and mine["next_before_id"] is None
    r = await api.call("GET", "/api/v1/users/999999/videos", expect=404)
    assert r.json()["code"] == "user_not_found"
    assert await events(api, "video.published") == [
        {"video_id": video["id"], "owner_id": video["owner_id"], "product_ids": [product],
         "duration_ms": video["duration_ms"]}]


async def test_product_ids_as_a_comma_list_or_repeated(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    cat = await api.category(op)
    creator = await api.user("creator")
    _, first, _ = await api.merchant_with_product(cat)
    _, second, _ = await api.merchant_with_product(cat)
    video = await upload(api, creator, mp4, product_ids=f" {second}, {first},{second} ")
    assert [p["product_id"] for p in video["products"]] == [second, first]  # in order, once each
    video = await upload(api, creator, mp4, product_ids=[first, second])
    assert [p["product_id"] for p in video["products"]] == [first, second]
    r = await api.call("POST", "/api/v1/videos", creator, expect=422, data={"product_ids": "12,abc"},
                       files={"file": ("a.mp4", mp4, "video/mp4")})
    assert r.json()["field"] == "product_ids"
    r = await api.call("POST", "/api/v1/videos", creator, expect=422, data={"caption": "x" * 301},
                       files={"file": ("a.mp4", mp4, "video/mp4")})
    assert r.json()["field"] == "caption"
    r = await api.call("POST", "/api/v1/videos", creator, expect=422, data={"caption": "no file"})
    assert r.json()["field"] == "file"
    assert await counts(api) == (2, 4, 2)


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("photo.png", PNG, "image/png"),
    ("notes.mp4", b"just some text, renamed to look like a video\n" * 10, "video/mp4"),
    ("empty.mp4", b"", "video/mp4"),
    ("movie.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64, "video/quicktime"),
])
async def test_wrong_types_are_refused_by_their_bytes(api: Api, name: str, data: bytes, content_type: str) -> None:
    creator = await api.user("creator")
    body = await upload(api, creator, data, expect=422, filename=name, content_type=content_type)
    assert body["code"] == "bad_video" and body["field"] == "file" and "MP4" in body["message"]
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)


FTYP_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"


@pytest.fixture(scope="session")
def audio_only(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An MP4 with a tone and no picture."""
    ffmpeg = shutil.which("ffmpeg")
    require(ffmpeg is not None, "video tests need ffmpeg (apt-get install ffmpeg)")
    assert ffmpeg is not None
    out = tmp_path_factory.mktemp("audio") / "tone.mp4"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", "-c:a", "aac", str(out)], check=True, timeout=60)
    return out.read_bytes()


@pytest.mark.parametrize("name", ["zeros", "truncated", "audio only"])
async def test_files_ffprobe_cannot_read_as_video_are_refused(api: Api, mp4: bytes, audio_only: bytes,
                                                              name: str) -> None:
    """An `ftyp` header is only a claim: ffprobe must find a video stream with a duration."""
    data = {"zeros": FTYP_MP4 + b"\x00" * 200_000, "truncated": mp4[:1024],  # cut off inside its index
            "audio only": audio_only}[name]
    creator = await api.user("creator")
    body = await upload(api, creator, data, expect=422)
    assert body["code"] == "bad_video" and body["field"] == "file", body
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)
    assert (await upload(api, creator, mp4))["duration_ms"] == 2000


async def test_oversize_is_refused_and_nothing_is_kept(api: Api, mp4: bytes) -> None:
    creator = await api.user("creator")
    api.db.settings.video_max_bytes = len(mp4) - 1
    body = await upload(api, creator, mp4, expect=413)
    assert body["code"] == "video_too_large" and body["field"] == "file"
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)
    api.db.settings.video_max_bytes = len(mp4)
    await upload(api, creator, mp4)
    assert len(stored_files(api)) == 2  # the file and its poster


async def test_only_creators_and_merchants_post(api: Api, mp4: bytes) -> None:
    consumer = await api.user("consumer")
    body = await upload(api, consumer, mp4, expect=403)
    assert body["code"] == "role_required"
    await upload(api, "", mp4, expect=401)
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)


async def test_cart_rules(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    cat = await api.category(op)
    merchant, own, _ = await api.merchant_with_product(cat)
    _, other, _ = await api.merchant_with_product(cat)
    draft = (await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Not yet", "category_id": cat, "skus": [{"price": 100, "stock": 1}]})).json()["id"]
    outside = (await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Sold on Taobao", "category_id": cat, "external_channel": "Taobao",
        "external_url": "https://item.taobao.com/item.htm?id=1"})).json()["id"]
    await api.call("POST", f"/api/v1/products/{outside}/publish", merchant, expect=200)

    refused = [([own, draft], 404, "product_not_found", draft), ([999_999], 404, "product_not_found", 999_999),
               ([outside], 400, "product_links_out", outside), ([own, other], 403, "not_your_product", other)]
    for ids, status, code, culprit in refused:
        body = await upload(api, merchant, mp4, expect=status, product_ids=ids)
        assert (body["code"], body["field"], body["details"]["product_id"]) == (code, "product_ids", culprit)
    creator = await api.user("creator")
    body = await upload(api, creator, mp4, expect=400, product_ids=[outside])
    assert body["code"] == "product_links_out"
    body = await upload(api, creator, mp4, expect=400, product_ids=list(range(1, 22)))
    assert body["code"] == "too_many_products"
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)

    # a creator recommends any shop's published products; a merchant shows its own
    recommended = await upload(api, creator, mp4, product_ids=[other, own])
    assert [p["product_id"] for p in recommended["products"]] == [other, own]
    video = await upload(api, merchant, mp4, product_ids=[own])
    url = f"/api/v1/videos/{video['id']}/products"
    for ids, status, code in (([other], 403, "not_your_product"), ([outside], 400, "product_links_out")):
        r = await api.call("PUT", url, merchant, expect=status, json={"product_ids": ids})
        assert r.json()["code"] == code
    r = await api.call("PUT", url, creator, expect=403, json={"product_ids": [own]})
    assert r.json()["code"] == "not_your_video"
    r = await api.call("PUT", url, merchant, expect=422, json={"product_ids": [0]})
    assert r.json()["field"].startswith("product_ids")
    assert [p["product_id"] for p in (await api.call("GET", f"/api/v1/videos/{video['id']}")).json()["products"]] \
        == [own]
    assert (await api.call("PUT", url, merchant, expect=200, json={"product_ids": []})).json() == {"product_ids": []}
    assert (await api.call("GET", f"/api/v1/videos/{video['id']}")).json()["products"] == []

    # a product unpublished later drops out of the cart shown to buyers
    await api.call("PUT", url, merchant, expect=200, json={"product_ids": [own]})
    await api.call("POST", f"/api/v1/products/{own}/unpublish", merchant, expect=200)
    assert (await api.call("GET", f"/api/v1/videos/{video['id']}")).json()["products"] == []


@both_databases
async def test_likes_are_idempotent_and_counted(api: Api, mp4: bytes) -> None:
    creator = await api.user("creator")
    video = (await upload(api, creator, mp4))["id"]
    fans = [await api.user() for _ in range(3)]
    url = f"/api/v1/videos/{video}/like"
    # the same fan tapping many times at once is one like
    answers = await asyncio.gather(*(api.call("POST", url, fans[0], expect=200) for _ in range(5)))
    assert {a.json()["likes"] for a in answers} == {1}
    for fan in fans[1:]:
        await api.call("POST", url, fan, expect=200)
    assert (await api.call("GET", f"/api/v1/videos/{video}", fans[0])).json()["likes"] == 3
    assert (await api.call("GET", f"/api/v1/videos/{video}", fans[0])).json()["liked"] is True
    assert (await api.call("DELETE", url, fans[1], expect=200)).json() == {"liked": False, "likes": 2}
    assert (await api.call("DELETE", url, fans[1], expect=200)).json() == {"liked": False, "likes": 2}
    assert (await api.call("GET", f"/api/v1/videos/{video}", fans[1])).json()["liked"] is False
    await api.call("POST", url, expect=401)
    await api.call("POST", "/api/v1/videos/999999/like", fans[0], expect=404)
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(VideoLike))).scalar_one() == 2
    liked = await events(api, "video.liked")
    assert len(liked) == 3 and {e["video_id"] for e in liked} == {video}
    assert len(await events(api, "video.unliked")) == 1


async def test_comments_and_plays(api: Api, mp4: bytes) -> None:
    creator = await api.user("creator")
    video = await upload(api, creator, mp4)
    vid, owner = video["id"], video["owner_id"]
    fan = await api.user(name="commenter")
    url = f"/api/v1/videos/{vid}/comments"
    first = (await api.call("POST", url, fan, expect=201, json={"text": "  <script>alert(1)</script> 好看 "})).json()
    assert first["text"] == "<script>alert(1)</script> 好看" and first["user_name"] == "commenter"
    masked = (await api.call("POST", url, fan, expect=201, json={"text": "shit happens"})).json()
    assert masked["text"] == "＊＊＊＊ happens"
    r = await api.call("POST", url, fan, expect=400, json={"text": "加微信 123"})
    assert r.json()["code"] == "comment_blocked"
    r = await api.call("POST", url, fan, expect=422, json={"text": "x" * 301})
    assert r.json()["field"] == "text"
    r = await api.call("POST", url, fan, expect=400, json={"text": "   "})
    assert r.json()["code"] == "comment_empty"
    await api.call("POST", url, expect=401, json={"text": "hi"})
    listed = (await api.call("GET", url, expect=200)).json()
    assert [c["id"] for c in listed["items"]] == [masked["id"], first["id"]]
    page = (await api.call("GET", f"{url}?limit=1", expect=200)).json()
    older = (await api.call("GET", f"{url}?before_id={page['next_before_id']}", expect=200)).json()
    assert [c["id"] for c in page["items"] + older["items"]] == [masked["id"], first["id"]]
    assert (await api.call("GET", f"/api/v1/videos/{vid}")).json()["comments"] == 2

    # a play is one request, one more play; anonymous viewers count too
    assert (await api.call("POST", f"/api/v1/videos/{vid}/play", expect=200)).json() == {"plays": 1}
    assert (await api.call("POST", f"/api/v1/videos/{vid}/play", fan, expect=200)).json() == {"plays": 2}
    await api.call("POST", "/api/v1/videos/999999/play", expect=404)
    assert (await api.call("GET", f"/api/v1/videos/{vid}")).json()["plays"] == 2
    fan_id = (await api.call("GET", "/api/v1/me", fan, expect=200)).json()["id"]
    assert await events(api, "video.played") == [{"video_id": vid, "owner_id": owner, "viewer_id": None},
                                                 {"video_id": vid, "owner_id": owner, "viewer_id": fan_id}]
    assert [(e["user_id"], e["owner_id"]) for e in await events(api, "video.commented")] == [(fan_id, owner)] * 2


async def test_removal_hides_the_video_and_deletes_its_files(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    creator = await api.user("creator")
    stranger = await api.user("creator")
    video = await upload(api, creator, mp4)
    vid = video["id"]
    await api.call("POST", f"/api/v1/videos/{vid}/comments", stranger, expect=201, json={"text": "hi"})
    r = await api.call("DELETE", f"/api/v1/videos/{vid}", stranger, expect=403)
    assert r.json()["code"] == "not_your_video"
    assert len(stored_files(api)) == 2
    await api.call("DELETE", f"/api/v1/videos/{vid}", creator, expect=204)
    await api.call("DELETE", f"/api/v1/videos/{vid}", creator, expect=204)  # already gone: no second event
    assert stored_files(api) == []
    for method, url in (("GET", f"/api/v1/videos/{vid}"), ("POST", f"/api/v1/videos/{vid}/like"),
                        ("POST", f"/api/v1/videos/{vid}/play"), ("GET", f"/api/v1/videos/{vid}/comments")):
        r = await api.call(method, url, stranger, expect=404)
        assert r.json()["code"] == "video_not_found"
    assert (await api.client.get(video["video_url"])).status_code == 404
    assert (await api.client.get(f"/videos/{vid}")).status_code == 404
    owner_list = (await api.call("GET", f"/api/v1/users/{video['owner_id']}/videos", expect=200)).json()
    assert owner_list["items"] == []
    # an operator takes down anyone's video
    other = (await upload(api, stranger, mp4))["id"]
    await api.call("DELETE", f"/api/v1/videos/{other}", op, expect=204)
    removed = await events(api, "video.removed")
    assert [e["video_id"] for e in removed] == [vid, other]
    async with api.db.transaction() as s:
        assert (await s.get(Video, vid)).status == "removed"  # the row stays: orders may point at it
        assert (await s.execute(select(func.count()).select_from(VideoComment))).scalar_one() == 1


async def test_pages_upload_watch_like_comment_and_buy(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    merchant, product, sku = await api.merchant_with_product(await api.category(op), price=4200)
    merchant_name = (await api.call("GET", "/api/v1/me", merchant, expect=200)).json()["username"]
    token = await sign_in(api, merchant_name)
    page = await api.client.get("/videos/upload")
    assert page.status_code == 200 and f'name="product_ids" value="{product}"' in page.text
    r = await api.client.post(f"/videos/upload?csrf_token={token}", data={"caption": "Fresh apples",
                                                      "product_ids": str(product)},
                              files={"file": ("apples.png", PNG, "image/png")})
    assert r.status_code == 422 and 'data-code="bad_video"' in r.text and "Fresh apples" in r.text
    assert stored_files(api) == [] and await counts(api) == (0, 0, 0)
    r = await api.client.post(f"/videos/upload?csrf_token={token}", data={"caption": "Fresh apples",
                                                      "product_ids": str(product)},
                              files={"file": ("apples.mp4", mp4, "video/mp4")})
    assert r.status_code == 303, r.text
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    assert "Fresh apples" in (await api.client.get("/videos/upload")).text

    # a viewer watches, likes and comments without leaving the page, then buys from it
    api.client.cookies.clear()
    await api.user(name="video_buyer")
    token = await sign_in(api, "video_buyer")
    page = await api.client.get(f"/videos/{vid}")
    assert page.status_code == 200
    buy = f"/checkout?sku={sku}&src=video:{vid}"
    assert f'href="{buy}"' in page.text and 'poster="/media/videos/' in page.text
    hx = {"HX-Request": "true"}
    r = await api.client.post(f"/videos/{vid}/play", headers={"X-CSRF-Token": token})
    assert r.json() == {"plays": 1}
    assert (await api.client.post(f"/videos/{vid}/play")).status_code == 403  # no CSRF token
    r = await api.client.post(f"/videos/{vid}/like", data={"csrf_token": token}, headers=hx)
    assert 'aria-pressed="true"' in r.text and "<span data-likes>1</span>" in r.text
    r = await api.client.post(f"/videos/{vid}/comments", data={"csrf_token": token, "text": "<i>nice</i>"},
                              headers=hx)
    assert r.status_code == 200 and "&lt;i&gt;nice&lt;/i&gt;" in r.text and "<i>nice" not in r.text
    r = await api.client.post(f"/videos/{vid}/comments", data={"csrf_token": token, "text": "加微信"}, headers=hx)
    assert 'data-code="comment_blocked"' in r.text
    checkout = await api.client.get(buy)
    assert checkout.status_code == 200 and f'name="src" value="video:{vid}"' in checkout.text
    r = await api.client.post("/checkout", data={
        "csrf_token": csrf_of(checkout.text), "sku": str(sku), "qty": "1", "src": f"video:{vid}",
        "recipient": "Zhang", "phone": "13700000000", "address": "3 Video Road", "idempotency_key": "video-buy"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/")
    async with api.db.transaction() as s:
        orders = (await s.execute(select(Order))).scalars().all()
        assert [o.source for o in orders] == [f"video:{vid}"]
        video = await s.get(Video, vid)
        assert (video.plays, video.likes, video.comments) == (1, 1, 1)

    # a consumer has no upload page
    r = await api.client.get("/videos/upload")
    assert r.status_code == 403 and 'data-code="role_required"' in r.text


async def test_malformed_requests_name_the_field(api: Api, mp4: bytes) -> None:
    creator = await api.user("creator")
    r = await api.call("POST", "/api/v1/videos", creator, expect=422, data={"file": "not a file"})
    assert r.json()["field"] == "file"
    for ids in ("99999999999999999999", "-3", "0", "１２"):
        r = await api.call("POST", "/api/v1/videos", creator, expect=422, data={"product_ids": ids},
                           files={"file": ("a.mp4", mp4, "video/mp4")})
        assert r.json()["field"] == "product_ids", ids
    r = await api.call("POST", "/api/v1/videos", creator, expect=400, data={"product_ids": ",".join(["1"] * 500)},
                       files={"file": ("a.mp4", mp4, "video/mp4")})
    assert r.json()["code"] == "too_many_products"
    vid = (await upload(api, creator, mp4))["id"]
    for method, url, kwargs in (
        ("GET", "/api/v1/videos/0", {}),
        ("GET", f"/api/v1/videos/{vid}/comments?before_id=0", {}),
        ("GET", f"/api/v1/videos/{vid}/comments?limit=1000", {}),
        ("POST", f"/api/v1/videos/{vid}/comments", {"json": {"text": "a\x00b"}}),
        ("POST", f"/api/v1/videos/{vid}/comments", {"json": {}}),
        ("PUT", f"/api/v1/videos/{vid}/products", {"json": {"product_ids": list(range(1, 30))}}),
        ("PUT", f"/api/v1/videos/{vid}/products", {"json": {"product_ids": "1,2"}}),
        ("GET", "/api/v1/users/abc/videos", {}),
    ):
        r = await api.call(method, url, creator, expect=422, **kwargs)
        assert r.json()["code"] == "invalid_request" and r.json()["field"], (url, r.text)


@both_databases
async def test_concurrent_cart_changes_and_removals(api: Api, mp4: bytes) -> None:
    op = await api.operator()
    cat = await api.category(op)
    creator = await api.user("creator")
    products = [(await api.merchant_with_product(cat))[1] for _ in range(3)]
    vid = (await upload(api, creator, mp4, product_ids=products))["id"]
    orders = [products[i:] + products[:i] for i in range(3)] * 2
    answers = await asyncio.gather(*(api.call("PUT", f"/api/v1/videos/{vid}/products", creator,
                                              json={"product_ids": ids}) for ids in orders))
    assert [a.status_code for a in answers] == [200] * len(orders)
    shown = [p["product_id"] for p in (await api.call("GET", f"/api/v1/videos/{vid}")).json()["products"]]
    assert shown in orders
    answers = await asyncio.gather(*(api.call("DELETE", f"/api/v1/videos/{vid}", who) for who in (creator, op) * 3))
    assert [a.status_code for a in answers] == [204] * 6
    assert len(await events(api, "video.removed")) == 1
