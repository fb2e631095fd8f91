"""Board spiders, one module per source kind."""

from __future__ import annotations

from crawlers.spiders.ashby import AshbySpider
from crawlers.spiders.base import PostingSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.greenhouse import GreenhouseSpider
from crawlers.spiders.hn import HNWhoIsHiringSpider
from crawlers.spiders.jsonld import JsonLdSpider
from crawlers.spiders.lever import LeverSpider
from crawlers.spiders.recruitee import RecruiteeSpider
from crawlers.spiders.remoteok import RemoteOKSpider
from crawlers.spiders.simplify import SimplifySpider
from crawlers.spiders.smartrecruiters import SmartRecruitersSpider
from crawlers.spiders.usajobs import UsajobsSpider
from crawlers.spiders.workable import WorkableSpider
from crawlers.spiders.workday import WorkdaySpider

# Source kind (as written in a sources file) -> spider class.
SPIDERS: dict[str, type[PostingSpider]] = {
    cls.name: cls
    for cls in (
        GreenhouseSpider,
        LeverSpider,
        AshbySpider,
        SimplifySpider,
        SmartRecruitersSpider,
        WorkdaySpider,
        WorkableSpider,
        RecruiteeSpider,
        UsajobsSpider,
        JsonLdSpider,
        FeedSpider,
        RemoteOKSpider,
        HNWhoIsHiringSpider,
    )
}

__all__ = [
    "SPIDERS",
    "AshbySpider",
    "FeedSpider",
    "HNWhoIsHiringSpider",
    "JsonLdSpider",
    "GreenhouseSpider",
    "LeverSpider",
    "PostingSpider",
    "RecruiteeSpider",
    "RemoteOKSpider",
    "SimplifySpider",
    "SmartRecruitersSpider",
    "UsajobsSpider",
    "WorkableSpider",
    "WorkdaySpider",
]
