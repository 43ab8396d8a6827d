"""What one sandbox instance pretends to be: one business phone number behind one token."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SandboxConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    phone_number_id: str
    # Base of the media download links the sandbox hands out (Meta's are on lookaside).
    public_url: str = Field(examples=["http://127.0.0.1:8081"])
    # Meta's media URLs are valid for 5 minutes.
    media_url_ttl_s: float = 300
    max_text_len: int = 4096
    display_phone_number: str = "15550000000"
