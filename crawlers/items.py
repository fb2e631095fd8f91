"""The item every spider yields: `PostingIn`'s fields, values still in the
source's own format. `NormalizePipeline` turns it into a `PostingIn`."""

from __future__ import annotations

import scrapy


class PostingItem(scrapy.Item):
    # Same names as store.records.PostingIn (a test keeps the two in step).
    source_kind = scrapy.Field()
    board = scrapy.Field()
    external_id = scrapy.Field()
    title = scrapy.Field()
    company = scrapy.Field()
    url = scrapy.Field()
    apply_url = scrapy.Field()
    locations = scrapy.Field()
    workplace_type = scrapy.Field()
    employment_type = scrapy.Field()
    description_html = scrapy.Field()
    description_text = scrapy.Field()
    posted_at = scrapy.Field()  # ISO string, epoch s or epoch ms: the pipeline parses it
    deadline = scrapy.Field()
    salary_min = scrapy.Field()
    salary_max = scrapy.Field()
    salary_currency = scrapy.Field()
    salary_text = scrapy.Field()
    department = scrapy.Field()
    terms = scrapy.Field()
    is_open = scrapy.Field()
    sector_hint = scrapy.Field()
    source_name = scrapy.Field()
    raw = scrapy.Field()
