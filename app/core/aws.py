"""boto3 clients for Backline's AWS fallbacks (SES mail, SNS SMS), with short timeouts.

A fallback is used when something else has failed already: it must answer or fail quickly, not
hang a worker on boto3's default minute-long timeouts and retries.
"""

from __future__ import annotations

from typing import Any


def quick_client(service: str, region: str) -> Any:
    """A boto3 client for `service` in `region`; boto3 honours AWS_ENDPOINT_URL."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
    )
    return boto3.client(service, region_name=region, config=config)
