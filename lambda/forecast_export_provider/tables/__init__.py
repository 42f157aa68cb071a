"""``Custom::ForecastExportTable``: a Glue table over an export's own files (docs/design.md, "Tables over exports").

- :mod:`.properties`: the resource's properties, validated into a ``TableSpec``;
- :mod:`.resource`: ``TableResource``, the :class:`..resource.Resource` of ``Custom::ForecastExportTable``;
- :mod:`.ownership`: the mark that says which stack and logical resource a table belongs to;
- :mod:`.export_data`, :mod:`.export_files`: the export's own run of files and the columns they share;
- :mod:`.s3_ranged`: a seekable view of an S3 object that reads only the byte ranges asked for;
- :mod:`.aws_calls`: AWS calls, errors as failures, every S3 call with ``ExpectedBucketOwner``.
"""

from .aws_calls import CLIENT_CONFIG
from .properties import RESOURCE_TYPE, TableSpec, find_table_problems, parse_table
from .resource import FAILED, SUCCESS, TableResource

__all__ = [
    "CLIENT_CONFIG",
    "FAILED",
    "RESOURCE_TYPE",
    "SUCCESS",
    "TableResource",
    "TableSpec",
    "find_table_problems",
    "parse_table",
]
