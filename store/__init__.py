"""Storage for InternScout: SQLModel tables, an engine from a URL, idempotent writes, queries.

Import from here; the submodules are internals. This package never imports Scrapy.
"""

from store.dedupe import DedupeReport, link_duplicates
from store.digests import (
    claim_digest,
    complete_digest,
    digested_posting_ids,
    fail_digest,
    list_digests,
)
from store.engine import StoreError, make_engine
from store.failures import (
    FailedPageIn,
    record_failed_pages,
    resolve_failed_pages,
    unresolved_failed_pages,
)
from store.matching import (
    RankedRow,
    RankFilter,
    all_scored_inputs,
    delete_scores,
    duplicate_listings,
    load_model_state,
    posting_detail,
    postings_needing_analysis,
    postings_needing_score,
    ranked,
    save_analyses,
    save_model_state,
    save_scores,
    upsert_profile,
)
from store.models import (
    Analysis,
    CrawlRun,
    DigestItem,
    DigestRun,
    FailedPage,
    ModelState,
    Posting,
    Profile,
    Score,
    Source,
)
from store.postings import (
    UpsertResult,
    close_missing,
    count_postings,
    get_posting,
    get_postings,
    upsert_postings,
)
from store.records import PostingIn
from store.runs import (
    CrawlRunIn,
    SourceIn,
    last_crawl_runs,
    list_sources,
    record_crawl_run,
    sync_sources,
)

__all__ = [
    "Analysis",
    "CrawlRun",
    "CrawlRunIn",
    "DedupeReport",
    "DigestItem",
    "DigestRun",
    "FailedPage",
    "FailedPageIn",
    "ModelState",
    "Posting",
    "PostingIn",
    "Profile",
    "RankFilter",
    "RankedRow",
    "Score",
    "Source",
    "SourceIn",
    "StoreError",
    "UpsertResult",
    "all_scored_inputs",
    "claim_digest",
    "close_missing",
    "complete_digest",
    "count_postings",
    "delete_scores",
    "digested_posting_ids",
    "duplicate_listings",
    "fail_digest",
    "get_posting",
    "get_postings",
    "last_crawl_runs",
    "link_duplicates",
    "list_digests",
    "list_sources",
    "load_model_state",
    "make_engine",
    "posting_detail",
    "postings_needing_analysis",
    "postings_needing_score",
    "ranked",
    "record_crawl_run",
    "record_failed_pages",
    "resolve_failed_pages",
    "unresolved_failed_pages",
    "save_analyses",
    "save_model_state",
    "save_scores",
    "sync_sources",
    "upsert_postings",
    "upsert_profile",
]
