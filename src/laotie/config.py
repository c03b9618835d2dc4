"""Settings: environment variables (LAOTIE_*), an optional TOML file, then defaults."""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads `LAOTIE_CONFIG` (default ./laotie.toml) when it exists; env vars still win."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("LAOTIE_CONFIG", "laotie.toml"))
        if not path.is_file():
            return {}
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        return data.get("laotie", data)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAOTIE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./laotie.db"
    # WAL with FULL: a commit that returned is on disk, which is what money needs.
    sqlite_synchronous: str = "FULL"
    # "inloop" runs SQLite calls on the event loop (fast; see kit/sqlite_inloop.py);
    # "thread" uses aiosqlite's worker thread.
    sqlite_driver: Literal["inloop", "thread"] = "inloop"
    db_pool_size: int = 8
    data_dir: Path = Path(".")
    media_dir: Path = Path("media")
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False

    payment_timeout_minutes: int = Field(15, ge=1)
    auto_confirm_days_after_delivery: int = Field(7, ge=1)
    auto_confirm_days_after_shipping: int = Field(15, ge=1)
    sandbox_gateway_secret: str = ""
    currency: str = "CNY"
    max_image_bytes: int = 5 * 1024 * 1024
    # argon2id cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=64)
    session_days: int = Field(30, ge=1)

    # Redis: when set, room fan-out and flash-sale stock go through it (several processes).
    redis_url: str = ""
    # The media plane (nginx with the RTMP module), which laotie configures and runs.
    rtmp_port: int = 1935
    # Loopback by default; 0.0.0.0 (or one interface's IPv4 address) lets encoders elsewhere publish.
    rtmp_bind: str = "127.0.0.1"
    # The control and stat API; always bound to loopback.
    hls_http_port: int = 8089
    media_prefix: Path = Path("var/media-plane")
    nginx_binary: str = "nginx"
    rtmp_module: Path = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
    # When started as root: the account nginx's workers run as ("" = stay the starting user).
    media_user: str = ""
    # Where nginx-rtmp calls back; laotie's own address as nginx sees it.
    callback_base_url: str = "http://127.0.0.1:8000"
    flash_return_unsold: bool = True
    # Redis mode: where accepted flash purchases are written as orders. "in_process" runs a
    # persister inside each app process; "external" leaves it to `laotie live persist`, so
    # accepting purchases never waits behind writing them.
    flash_persister: Literal["in_process", "external"] = "in_process"
    # Hot API routes skip FastAPI's routing and dependency solving (laotie.kit.fastpath); off, the
    # same routes answer through FastAPI, which the tests use to hold both to the same answers.
    fast_paths: bool = True
    # After an operator cuts a stream, the host cannot go live again for this long
    # (encoders such as OBS reconnect on their own, which would undo the cut).
    live_cut_cooldown_minutes: int = Field(30, ge=0)
    # The RTMP address streamers are told to use; defaults to rtmp://<rtmp_bind>:<rtmp_port>/live.
    rtmp_public_url: str = ""
    # Gifts (打赏): coins (快币) are bought through the gateway, so many fen each (10 = ¥1 buys 10 coins);
    # of a gift's value the creator's share is this many basis points, the platform keeps the rest.
    # After-sales (售后) and guarantees (信任购); amounts in fen.
    aftersale_window_days: int = Field(15, ge=1)  # after delivery, a buyer may still ask
    aftersale_merchant_hours: int = Field(48, ge=1)  # unanswered requests are approved
    aftersale_return_days: int = Field(7, ge=1)  # the buyer ships the return, or the request closes
    aftersale_receive_days: int = Field(7, ge=1)  # the merchant confirms the return, or it is confirmed
    aftersale_dispute_days: int = Field(7, ge=1)  # after a rejection, the buyer may ask the platform
    instant_refund_max: int = Field(30_000, ge=0)  # 极速退款 for unshipped orders up to ¥300
    return_shipping_compensation: int = Field(1_000, ge=0)  # 退货补运费 ¥10
    counterfeit_multiple: int = Field(10, ge=1)  # 假一赔十
    # "Good standing": old enough, has completed orders, and does not refund too much.
    good_standing_min_account_days: int = Field(7, ge=0)
    good_standing_min_completed: int = Field(1, ge=0)
    good_standing_max_refund_share: float = Field(0.3, ge=0, le=1)  # of the last 90 days' paid orders
    good_standing_max_refunds_30d: int = Field(5, ge=0)
    # Short videos: mp4 uploads up to this size; the poster frame is taken with ffmpeg when present.
    video_max_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    ffmpeg_binary: str = "ffmpeg"
    # A video is accepted only when ffprobe finds a video stream with a duration in it.
    ffprobe_binary: str = "ffprobe"
    # The alliance (好物联盟): the commission floor of a category without its own, the platform's
    # technical service fee on each commission and fee, the after-sale window between an order's
    # completion and its commissions' settlement, how long a share link attributes, and how long a
    # rate cut waits before it reaches creators already promoting.
    alliance_default_floor_bps: int = Field(100, ge=0, le=10_000)
    alliance_platform_fee_bps: int = Field(1_000, ge=0, le=10_000)
    alliance_settle_days: int = Field(7, ge=0)
    alliance_share_link_hours: int = Field(24, ge=1)
    alliance_rate_cut_days: int = Field(30, ge=0)
    # Payouts of settled commission: the smallest withdrawal. Samples (寄样): how long a creator
    # has to promote a shipped sample, and how many lapsed samples in 90 days close the door.
    alliance_payout_min: int = Field(1_000, ge=1)
    alliance_sample_promote_days: int = Field(15, ge=1)
    alliance_sample_lapse_limit: int = Field(2, ge=1)
    coin_value_fen: int = Field(10, ge=1, le=10_000)
    gift_creator_share_bps: int = Field(5000, ge=0, le=10_000)

    # Live chat (live/chat.py, live/fanout.py). Lists come from the environment as JSON,
    # e.g. LAOTIE_CHAT_BLOCKED_WORDS='["加微信", "vx"]'.
    chat_max_length: int = Field(200, ge=1, le=500)  # chat_messages.body holds 500
    # Shown as ＊ (profanity, insults): the comment still goes out.
    chat_masked_words: list[str] = Field(default_factory=lambda: ["傻逼", "草泥马", "fuck", "shit"])
    # Refused outright with code comment_blocked: luring buyers off the platform (引流), fraud.
    chat_blocked_words: list[str] = Field(
        default_factory=lambda: ["加微信", "加v", "vx", "微信号", "私下交易", "私聊下单", "wechat", "telegram"])
    # Token bucket per user (shared through Redis when redis_url is set).
    chat_rate_per_second: float = Field(1.0, gt=0)
    chat_rate_burst: int = Field(3, ge=1)
    # At most this many automatic purchase replies per room, refilled per second.
    chat_reply_burst: int = Field(2, ge=1)
    chat_reply_per_second: float = Field(0.5, gt=0)
    # Fan-out: one frame per room every flush; at most this many comments per frame (only
    # comments are capped: events, replies, hides always pass; skipped ones are counted).
    chat_flush_ms: int = Field(200, ge=20, le=2000)
    chat_frame_comments: int = Field(40, ge=1, le=1000)
    # Frames a room keeps for a slow socket before dropping it (its client resumes with after=).
    chat_viewer_buffer: int = Field(25, ge=2, le=1000)
    chat_stats_seconds: float = Field(1.0, gt=0)
    chat_history_limit: int = Field(50, ge=1, le=500)

    # Request bodies, refused with 413 beyond these (by Content-Length at once, or counted as they
    # arrive). 0 for images/videos: derived from max_image_bytes (six photos, as a review or an
    # after-sale request takes) or video_max_bytes, plus room for the multipart envelope.
    body_max_json_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    body_max_form_bytes: int = Field(1024 * 1024, ge=1024)
    body_max_image_bytes: int = Field(0, ge=0)
    body_max_video_bytes: int = Field(0, ge=0)

    jobs_enabled: bool = True
    jobs_interval_seconds: float = 15.0
    log_sql: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls), file_secret_settings)

    def body_limit(self, kind: Literal["json", "form", "image", "video"]) -> int:
        """The largest request body a route of this kind accepts, in bytes."""
        envelope = 256 * 1024
        if kind == "json":
            return self.body_max_json_bytes
        if kind == "form":
            return self.body_max_form_bytes
        if kind == "image":
            return self.body_max_image_bytes or 6 * self.max_image_bytes + envelope
        return self.body_max_video_bytes or self.video_max_bytes + envelope

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret(self, purpose: str) -> bytes:
        """A per-purpose key derived from the instance secret (sessions, gateway, ...)."""
        import hashlib

        base = self.secret_key or _instance_secret(self.data_dir)
        return hashlib.sha256(f"{purpose}:{base}".encode()).digest()


def _instance_secret(data_dir: Path) -> str:
    """A random secret kept beside the data so sessions survive restarts without setup."""
    path = data_dir / ".laotie-secret"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
