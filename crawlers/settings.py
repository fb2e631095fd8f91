"""Scrapy settings for InternScout's crawlers.

Only constants: the database URL and everything per-run is given by
`crawlers.run` (or `-s` on the scrapy command line) and read by components in
their `from_crawler`.
"""

BOT_NAME = "internscout"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Say who we are so board operators can reach us instead of just blocking us.
USER_AGENT = (
    "InternScout/0.1 (+https://github.com/internscout/internscout; student internship matcher)"
)
# Obeyed by our own middleware, which fails closed: a robots.txt that answers
# 5xx/429 or cannot be fetched keeps the host out of this run (Scrapy's allows all).
ROBOTSTXT_OBEY = True
DEFAULT_REQUEST_HEADERS = {
    "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
    "Accept-Language": "en",
}
COOKIES_ENABLED = False  # public JSON APIs; no sessions wanted

# Politeness: one API host serves many boards, so keep per-host load low and
# let AutoThrottle back off further when the server slows down.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # also AutoThrottle's floor
# crawlers.run never lets DOWNLOAD_DELAY / AUTOTHROTTLE_START_DELAY go below this
# for a remote host, whatever a config says; loopback hosts (the replay and
# demo servers, tests) are exempt. 0 disables the floor.
INTERNSCOUT_MIN_DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%, so many boards on one host don't fetch in lockstep
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait INTERNSCOUT_RETRY_BACKOFF_BASE * 2**n seconds (n = retries so far),
# at most INTERNSCOUT_RETRY_BACKOFF_MAX; a Retry-After on 429/503 replaces that
# wait, capped at INTERNSCOUT_MAX_RETRY_AFTER, and holds the whole host meanwhile.
INTERNSCOUT_RETRY_BACKOFF_BASE = 1.0
INTERNSCOUT_RETRY_BACKOFF_MAX = 30.0
INTERNSCOUT_MAX_RETRY_AFTER = 120.0
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 10  # APIs redirect once or twice; a loop stops at its first repeat
# Big boards with full descriptions reach a few MB; SimplifyJobs' list ~20 MB.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024

# No control surfaces on a crawler that runs unattended: Scrapy 2.19 otherwise
# opens a telnet console and a remote-control HTTP server per crawler.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# crawlers.run logs one summary line per source; full stats with --set STATS_DUMP=true.
STATS_DUMP = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawlers.logformatter.PostingLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # Ours, in the built-ins' places (see crawlers.middlewares).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawlers.middlewares.RedirectMiddleware": 600,
}
EXTENSIONS = {
    "crawlers.extensions.FailedPagesExtension": 500,
}

ITEM_PIPELINES = {
    "crawlers.pipelines.NormalizePipeline": 300,
    "crawlers.pipelines.StorePipeline": 800,
}

# --- InternScout's own settings (read in from_crawler) ---
# SQLAlchemy URL of the store; StorePipeline is disabled when it is unset.
INTERNSCOUT_DATABASE_URL = None
# Postings written per upsert_postings() call.
INTERNSCOUT_STORE_BATCH_SIZE = 200
# crawlers.run: how many sources crawl at once, and at most how many of them
# may hit the same API host (all Greenhouse boards share one host).
INTERNSCOUT_MAX_PARALLEL_CRAWLS = 8
INTERNSCOUT_MAX_PARALLEL_CRAWLS_PER_HOST = 2
# crawlers.run --progress: at most one progress line per source this often (seconds).
INTERNSCOUT_PROGRESS_INTERVAL = 0.5
# Set by crawlers.run (one value per run) so all its crawlers share one
# robots.txt answer and one Retry-After hold per host.
INTERNSCOUT_RUN_ID = None
