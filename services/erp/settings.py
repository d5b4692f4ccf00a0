"""ERP connector settings (env prefix `ERP_`).

`ERP_PUSH_TARGETS` names the ERPs vouchers can be pushed to, as JSON, with their
credentials (kept in the environment, never in the database or an API answer); a book
switches pushing on by naming one (`push_target`). For example:

    ERP_PUSH_TARGETS='{"kingdee-sz": {"kind": "kingdee",
        "base_url": "https://erp.example.com/k3cloud/", "acct_id": "62f49d03",
        "username": "api", "password": "...", "account_book": "001"},
      "u8": {"kind": "u8", "base_url": "https://api.yonyouup.com",
        "from_account": "...", "to_account": "...", "app_key": "...", "app_secret": "..."}}'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class KingdeeTarget(BaseModel):
    """Kingdee 云星空 WebAPI: login with user and password into a data centre (acct_id),
    vouchers saved as GL_VOUCHER into `account_book` with the voucher group (凭证字)."""

    kind: Literal["kingdee"]
    base_url: str = Field(description="Up to and including /k3cloud/")
    acct_id: str
    username: str
    password: SecretStr
    lcid: int = 2052
    account_book: str = Field(description="The account book's number (FAccountBookID)")
    voucher_group: str = Field("PRE001", description="The voucher word's number (记: PRE001)")
    currency: str = Field("PRE001", description="The currency's number (人民币: PRE001)")
    dimension_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "supplier": "FDETAILID__FFLEX4",
            "department": "FDETAILID__FFLEX5",
            "customer": "FDETAILID__FFLEX6",
            "material": "FDETAILID__FFLEX8",
            "project": "FDETAILID__FFLEX9",
            "warehouse": "FDETAILID__FF100001",
            "work_order": "FDETAILID__FF100002",
        },
        description="Our dimension -> the 核算维度 field of FDetailID (follow your setup)",
    )


class U8Target(BaseModel):
    """Yonyou U8+ OpenAPI: a token from app key and secret, vouchers added with our number
    as the external code."""

    kind: Literal["u8"]
    base_url: str
    from_account: str
    to_account: str
    app_key: str
    app_secret: SecretStr
    ds_sequence: int = 1
    dimension_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "supplier": "supplier_code",
            "customer": "customer_code",
            "department": "dept_code",
            "material": "inventory_code",
            "project": "item_code",
            "warehouse": "cdefine1",
            "work_order": "cdefine2",
        },
        description="Our dimension -> the voucher entry's field (辅助项)",
    )


PushTarget = Annotated[KingdeeTarget | U8Target, Field(discriminator="kind")]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ERP_", extra="ignore")

    service_name: str = "erp"
    database_url: str = "sqlite+aiosqlite:///var/erp.db"
    push_targets: dict[str, PushTarget] = Field(
        default_factory=dict, description="ERPs vouchers may be pushed to, by name"
    )
    push_poll_seconds: float = Field(2.0, gt=0, description="How often the pusher looks")
    push_timeout_seconds: float = Field(15.0, gt=0)
    revaluation_poll_seconds: float = Field(
        5.0, gt=0, description="How often stock's revaluations are posted as corrections"
    )
