"""Log lines that name the record instead of dumping it.

Scrapy's default formatter prints the whole item on every drop and scrape;
ours carry the raw source record and full descriptions, which would bury the
useful part of the log.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


def _describe(item: Any) -> str:
    try:
        adapter = ItemAdapter(item)
    except TypeError:
        return type(item).__name__
    return f"id={adapter.get('external_id')!s} url={adapter.get('url')!s}"


class PostingLogFormatter(LogFormatter):
    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(item)s",
            "args": {"item": _describe(item)},
        }

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        # The DropItem message already names the source and the record.
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception}
        return result

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        result["msg"] = "Error processing %(item)s"
        result["args"] = {"item": _describe(item)}
        return result
