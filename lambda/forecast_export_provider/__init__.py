"""Amazon Forecast export custom resource provider (the Lambda handler)."""
