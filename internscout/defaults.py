"""The commented default configuration that `internscout init` writes.

The built-in source list is parsed from this same text, so a user with no
config file and a user with a fresh `init` crawl the same boards.
"""

from __future__ import annotations

import tomllib
from typing import Any

DEFAULT_CONFIG_TEMPLATE = """\
# InternScout configuration.
# Every key is optional; remove a section to fall back to the built-in default.

[database]
# SQLite by default (in the user's data directory). PostgreSQL works with the same code:
# url = "postgresql+psycopg://user:password@127.0.0.1:5432/internscout"
# The --db option and INTERNSCOUT_DATABASE_URL override this value.
# url = "sqlite:////home/me/.local/share/internscout/internscout.db"

[crawl]
# A crawl runs in a subprocess; it is stopped and reported failed after this many seconds.
timeout = 1800
# Extra Scrapy settings, e.g. a slower pace for a shared network:
# [crawl.settings]
# AUTOTHROTTLE_TARGET_CONCURRENCY = 0.5

[scoring]
# Processes used to classify and vectorise large batches (a full rescore); -1: one per CPU,
# 1: everything in this process. The scheduler always works in-process.
# workers = -1
# Your own additions to the taxonomy (skills, synonyms, sector cues, roles), in the format of
# matcher/data/taxonomy.toml; paths are relative to this file. A change re-classifies postings.
# taxonomy = ["my-skills.toml"]

[scoring.weights]
# How much each part of a score counts (parts are normalised by their sum), and the
# penalties that make a posting a poor fit for a student. Uncomment to change.
# text = 0.30          # TF-IDF similarity of your interests/resume/skills to the posting
# skills = 0.30        # the posting's skills you have, and how many of yours it uses
# role = 0.15          # an AI/ML/data role category (the guide's internship titles)
# sector = 0.10        # the employer is in one of your sectors
# location = 0.10      # a location you named, or remote when remote_ok
# recency = 0.05       # newer postings first
# term = 0.05          # the posting's term is one you list in the profile's `terms`
# recency_half_life_days = 21
# penalty_not_internship = 0.5   # the posting is not an internship, co-op or apprenticeship
# penalty_seniority = 0.7        # senior/staff/lead/manager... title
# penalty_experience = 0.6       # asks for 3+ years of experience

[digest]
# Where `internscout digest --profile NAME` writes reports when --out is not given.
# out_dir = "digests"

# Sources: one [[sources]] table each. Common keys:
#   name     unique; `internscout crawl --source NAME` crawls just this one
#   kind     greenhouse | lever | ashby | simplify | smartrecruiters | workday | workable |
#            recruitee | usajobs | jsonld | feed | remoteok | hn
#   board    the board token (Greenhouse), site (Lever), organisation (Ashby), company id
#            (SmartRecruiters), tenant/site (Workday), account (Workable), subdomain (Recruitee),
#            or any label for list-, search- and site-like sources
#   sector   optional hint: tech | healthcare | finance | nonprofit | research | other
#   base_url optional: replaces the API's scheme and host (a mirror, or a local test server)
#   url      the address for simplify (listings.json) and feed (RSS/Atom) sources
#   company  optional display name (Lever and Ashby boards don't say the company's name)
# Any other key is an option of that kind (see the README), e.g. Workday's host and search_text.
# Board names below are public boards we believe exist; edit the list to taste.

# --- curated lists, feeds and aggregators (mostly tech) ---
[[sources]]
name = "simplify-summer"
kind = "simplify"
board = "summer-internships"
url = "https://raw.githubusercontent.com/SimplifyJobs/Summer2026-Internships/dev/.github/scripts/listings.json"

[[sources]]
name = "wwr-programming"
kind = "feed"
board = "weworkremotely-programming"
url = "https://weworkremotely.com/categories/remote-programming-jobs.rss"
sector = "tech"

[[sources]]
name = "remoteok"
kind = "remoteok"
board = "remoteok"
sector = "tech"

[[sources]]
name = "hn-who-is-hiring"
kind = "hn"
board = "whoishiring"
sector = "tech"

# --- tech ---
[[sources]]
name = "databricks"
kind = "greenhouse"
board = "databricks"
sector = "tech"

[[sources]]
name = "palantir"
kind = "lever"
board = "palantir"
company = "Palantir"
sector = "tech"

[[sources]]
name = "nvidia"
kind = "workday"
board = "nvidia/NVIDIAExternalCareerSite"
host = "wd5"
search_text = "intern"
sector = "tech"

# --- finance ---
[[sources]]
name = "stripe"
kind = "greenhouse"
board = "stripe"
sector = "finance"

[[sources]]
name = "ramp"
kind = "ashby"
board = "ramp"
company = "Ramp"
sector = "finance"

[[sources]]
name = "visa"
kind = "smartrecruiters"
board = "Visa"
query = "intern"
sector = "finance"

# --- healthcare ---
[[sources]]
name = "flatiron-health"
kind = "greenhouse"
board = "flatironhealth"
sector = "healthcare"

[[sources]]
name = "oscar-health"
kind = "greenhouse"
board = "oscar"
sector = "healthcare"

[[sources]]
name = "cvs-health"
kind = "workday"
board = "cvshealth/CVS_Health_Careers"
host = "wd1"
search_text = "intern"
sector = "healthcare"

# --- nonprofit and government ---
[[sources]]
name = "khan-academy"
kind = "greenhouse"
board = "khanacademy"
sector = "nonprofit"

[[sources]]
name = "code-for-america"
kind = "greenhouse"
board = "codeforamerica"
sector = "nonprofit"

# USAJOBS (U.S. federal jobs, Pathways internships for students). Needs a free API key:
# export USAJOBS_API_KEY=... USAJOBS_EMAIL=you@school.edu (or api_key/email keys here).
# Without them this one source reports a clear error and the others crawl as usual.
[[sources]]
name = "usajobs-pathways"
kind = "usajobs"
board = "pathways"
sector = "nonprofit"

# --- research institutes and universities ---
[[sources]]
name = "allen-institute-ai"
kind = "greenhouse"
board = "thealleninstitute"
sector = "research"

# University and hospital career sites publish schema.org JobPosting data on their pages:
# point a jsonld source at the site's job sitemap or listing pages.
# [[sources]]
# name = "state-university"
# kind = "jsonld"
# board = "jobs.example.edu"
# sitemap = "https://jobs.example.edu/sitemap.xml"
# start_urls = ["https://jobs.example.edu/student-jobs"]
# sector = "research"

# Profiles: one [[profiles]] table per student.
# [[profiles]]
# name = "me"
# email = "me@example.edu"
# skills = ["python", "sql", "pandas", "scikit-learn", "pytorch"]
# interests = "machine learning for health data; NLP; research assistant roles"
# sectors = ["healthcare", "research"]
# locations = ["Boston, MA", "New York, NY"]
# remote_ok = true
# resume = "resume.pdf"   # .txt, .md, .pdf or .docx; its text joins your interests
# terms = ["Summer 2027"] # optional: the internship terms you want
# roles = ["ml_engineering", "data_science"]  # optional: the role categories you want, of
#   ml_engineering, data_science, software_ai, research, automation, analytics_engineering,
#   cloud_ai (the guide's AI/ML ones, the default), data_engineering, data_analytics, software
# entry_level = false     # true: also rank full-time entry-level (new-grad) jobs
"""


def default_sources() -> list[dict[str, Any]]:
    return list(tomllib.loads(DEFAULT_CONFIG_TEMPLATE)["sources"])
