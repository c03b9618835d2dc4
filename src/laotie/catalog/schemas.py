"""Catalog request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, HttpUrl, field_validator, model_validator

from laotie.kit.types import Bps, LongText, Name, PositiveFen, RefId, ShortText, Stock

AttrKey = Annotated[str, Field(min_length=1, max_length=20)]
AttrValue = Annotated[str, Field(min_length=1, max_length=40)]


class CategoryIn(BaseModel):
    name: Name
    commission_bps: Bps
    parent_id: RefId | None = None


class RateIn(BaseModel):
    commission_bps: Bps


class CategoryOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    commission_bps: int


class ShopIn(BaseModel):
    name: Name
    description: ShortText = ""


class ShopPatch(BaseModel):
    name: Name | None = None
    description: ShortText | None = None


class ShopOut(BaseModel):
    id: int
    name: str
    description: str
    owner_id: int


class SkuIn(BaseModel):
    price: PositiveFen
    stock: Stock = 0
    code: Annotated[str, Field(max_length=60)] = ""
    attributes: dict[AttrKey, AttrValue] = Field(default_factory=dict, max_length=5)
    purchase_limit: Annotated[int, Field(ge=1, le=10_000)] | None = None

    @field_validator("code")
    @classmethod
    def _no_nul(cls, v: str) -> str:
        if "\x00" in v:
            raise ValueError("must not contain NUL characters")
        return v


class SkuPatch(BaseModel):
    price: PositiveFen | None = None
    purchase_limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    clear_limit: bool = False
    stock_delta: Annotated[int, Field(ge=-10_000_000, le=10_000_000)] | None = None


class ProductIn(BaseModel):
    title: Name
    category_id: RefId
    description: LongText = ""
    skus: list[SkuIn] = Field(default_factory=list, max_length=100)
    external_channel: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    external_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _sellable(self) -> ProductIn:
        if self.external_url is None and not self.skus:
            raise ValueError("a product sold here needs at least one SKU (or an external_url)")
        return self


class ProductPatch(BaseModel):
    title: Name | None = None
    description: LongText | None = None
    category_id: RefId | None = None


class SkuOut(BaseModel):
    id: int
    code: str
    attributes: dict[str, str]
    price: int
    stock: int
    purchase_limit: int | None


class ProductOut(BaseModel):
    id: int
    shop_id: int
    shop_name: str
    category_id: int
    title: str
    description: str
    status: str
    min_price: int
    sold_count: int
    external_channel: str | None
    external_url: str | None
    images: list[str] = Field(default_factory=list)
    skus: list[SkuOut] = Field(default_factory=list)


class ProductPage(BaseModel):
    items: list[ProductOut]
    total: int
    page: int
    per_page: int


Sort = Literal["newest", "price_asc", "price_desc", "sales"]
