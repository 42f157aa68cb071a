"""Numbers and names that the handler and the CDK constructs share; defined here once."""

from __future__ import annotations

from typing import Final

FORECAST_SERVICE_PRINCIPAL: Final = "forecast.amazonaws.com"
"""The principal that assumes the destination role and writes the exported files."""

TOTAL_WAIT_SECONDS: Final = 3480
"""How long one request may take at most, counted from its first arrival: just under CloudFormation's hour."""

SERVICE_TIMEOUT_SECONDS: Final = 3600
"""The ``ServiceTimeout`` the constructs give each custom resource: CloudFormation's maximum.

It leaves 120 s beyond the total wait, more than Lambda's one-minute delay before it retries a
crashed asynchronous invocation plus the 30 s by which the provider answers before it runs out.
"""

SERVICE_TIMEOUT_MARGIN_SECONDS: Final = 40
"""The provider answers at least this long before a request's ``ServiceTimeout`` runs out.

The contract asks for 30 s; the other 10 s cover the delay between CloudFormation sending the
request and the function's first invocation starting.
"""

POLL_INTERVAL_SECONDS: Final = 4.5
"""Time between two Describe calls of a job in progress: at least 4 s apart, and the report
follows ACTIVE within 5 s."""

MAX_REASON_LENGTH: Final = 250
"""crhelper keeps only the last 240 characters of a Reason over 256; ours stay under both."""

MAX_RESPONSE_BYTES: Final = 4096
"""CloudFormation's limit on a custom resource's whole response body."""
