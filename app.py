#!/usr/bin/env python3
"""Example app: one export destination and one export of each kind."""
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "ForecastExportsExample")
app.synth()
