"""Workflow settings (env prefix `WORKFLOW_`)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DingTalkAppSettings(BaseModel):
    """A DingTalk internal app with an approval template (审批模板) for mobile approval;
    the template has text fields 标题 and 业务编号. `token` and `aes_key` are the event
    subscription's (回调) token and encoding AES key; `app_key` is the callbacks' key."""

    base_url: str = "https://oapi.dingtalk.com"
    app_key: str
    app_secret: str
    agent_id: int
    process_code: str
    token: str
    aes_key: str


class WeComAppSettings(BaseModel):
    """A WeCom self-built app with an approval template; `token` and `aes_key` are its
    callback settings (接收消息)."""

    base_url: str = "https://qyapi.weixin.qq.com"
    corp_id: str
    corp_secret: str
    agent_id: int
    template_id: str
    business_key_control: str | None = None
    token: str
    aes_key: str


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOW_", extra="ignore")

    service_name: str = "workflow"
    database_url: str = "sqlite+aiosqlite:///var/workflow.db"
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where people reach the API (the gateway): links in messages start here",
    )
    dingtalk_app: DingTalkAppSettings | None = Field(
        None, description="Mobile approval in DingTalk (JSON); none: steps are not mirrored"
    )
    wecom_app: WeComAppSettings | None = Field(
        None, description="Mobile approval in WeCom (JSON); none: steps are not mirrored"
    )
    mobile_poll_seconds: float = Field(
        60.0,
        gt=0,
        description="How often a mirrored approval is asked for its decision (callbacks get lost)",
    )
    rules_on: list[str] = Field(
        default_factory=list,
        description='Rules switched on at start-up, e.g. ["safety_stock"] (the shipped ones)',
    )
    runner_poll_seconds: float = Field(
        1.0, gt=0, description="How often the runner looks for due timers, starts and syncs"
    )
    webhook_max_attempts: int = Field(
        10, ge=1, le=100, description="Attempts per webhook delivery before it is dead"
    )
    webhook_backoff_seconds: float = Field(
        5.0, gt=0, description="Wait after a webhook delivery's first failure; it doubles"
    )
    webhook_backoff_max_seconds: float = Field(
        3600.0, gt=0, description="The longest wait between a delivery's attempts"
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a claimed delivery is kept from other processes while it is "
        "sent; a delivery whose sender died goes again after it",
    )
    webhook_concurrency: int = Field(
        16, ge=1, le=256, description="Subscriptions delivered at once per process"
    )
    webhook_batch: int = Field(
        50, ge=1, le=1000, description="A subscription's deliveries claimed at once"
    )
    webhook_poll_seconds: float = Field(
        0.5, gt=0, description="How often the webhook dispatcher looks for due deliveries"
    )
