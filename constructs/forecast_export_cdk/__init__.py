"""AWS CDK constructs for Amazon Forecast export jobs."""
