"""Seeded synthetic postings for the matcher and rank benchmarks (fast to build).

`postings(n, seed)` returns `n` store records (`store.PostingIn`) mixing internships and
other jobs across the six sectors: employer names, titles, locations, dates and 150-300 word
descriptions built from sector, role, requirement and boilerplate sentence pools, with a
long-tailed made-up vocabulary (team and product names) so the TF-IDF vocabulary grows as a
real corpus's does. Random choices are drawn in bulk with NumPy, so 100,000 postings take a
few seconds. The same (n, seed, start) always gives the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from store import PostingIn

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECTORS = ("tech", "healthcare", "finance", "nonprofit", "research", "other")
SECTOR_SHARE = (0.36, 0.16, 0.16, 0.08, 0.10, 0.14)
INTERN_SHARE = 0.45

CITIES = [
    "Boston, MA", "Cambridge, MA", "New York, NY", "Brooklyn, NY", "San Francisco, CA",
    "Mountain View, CA", "Los Angeles, CA", "San Diego, CA", "Seattle, WA", "Austin, TX",
    "Houston, TX", "Dallas, TX", "Chicago, IL", "Atlanta, GA", "Denver, CO", "Pittsburgh, PA",
    "Philadelphia, PA", "Washington, DC", "Baltimore, MD", "Raleigh, NC", "Minneapolis, MN",
    "Ann Arbor, MI", "Columbus, OH", "Nashville, TN", "Phoenix, AZ", "Salt Lake City, UT",
    "Portland, OR", "Madison, WI", "Toronto, ON", "London, UK",
]  # fmt: skip
REMOTE_LOCATIONS = ["Remote - US", "Remote", "United States (Remote)"]
ROOTS = [
    "Aster", "Beacon", "Cedar", "Delta", "Ember", "Fathom", "Granite", "Harbor", "Iris",
    "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quarry",
    "Riverside", "Summit", "Tidal", "Union", "Vantage", "Willow", "Xenon", "Yellowstone",
    "Zenith", "Northwind", "Bluebird", "Crescent", "Evergreen", "Falcon", "Golden Gate",
    "Highland", "Lakeshore", "Maple", "Oakridge", "Prairie", "Redwood", "Silverline", "Trident",
]  # fmt: skip
COMPANY_FORMS = {
    "tech": ["{r} Labs", "{r}soft", "{r}.ai", "{r} Technologies", "{r} Cloud", "{r} Networks",
             "{r} Software", "{r} Systems Inc."],
    "healthcare": ["{r} Health", "{r} Therapeutics", "{r} Medical Center", "{c} General Hospital",
                   "{r} Biosciences", "{r} Diagnostics", "{r} Children's Hospital"],
    "finance": ["{r} Bank", "{r} Capital", "{r} Insurance", "{r} Financial", "{r} Securities",
                "{r} Credit Union", "{r} Asset Management"],
    "nonprofit": ["{c} County", "City of {c}", "{r} Foundation", "Department of {d}",
                  "{r} Community Alliance", "{r} Public Library"],
    "research": ["University of {c}", "{r} Institute", "{c} State University", "{r} College",
                 "{r} Research Laboratory"],
    "other": ["{r} Retail", "{r} Manufacturing", "{r} Logistics", "{r} Consulting Group",
              "{r} Energy", "{r} Foods", "{r} Motors", "{r} Construction"],
}  # fmt: skip
DEPARTMENTS = ["Transportation", "Public Health", "Energy", "Education", "Labor", "Commerce"]

INTROS = {
    "tech": [
        "{co} is a venture-backed software company building a cloud platform that engineering teams use to ship reliable products.",
        "At {co}, our SaaS products serve millions of users across web and mobile apps.",
        "{co} builds developer tools and APIs used by startups and large enterprises alike.",
        "We are a Series B startup whose platform helps online businesses understand their customers.",
        "{co} designs semiconductors and the software that runs on our devices.",
        "Our technology company makes collaboration software for distributed teams.",
    ],
    "healthcare": [
        "{co} is a health system whose hospitals and clinics care for patients across the region.",
        "Our biotech company is focused on drug discovery and clinical trials in oncology.",
        "{co} develops medical devices and diagnostics that help physicians treat disease earlier.",
        "We are a pharmaceutical company bringing new therapies to patients with rare diseases.",
        "{co} uses genomics and electronic health records to improve patient outcomes.",
        "Our nurses, physicians and researchers deliver patient care at a leading medical center.",
    ],
    "finance": [
        "{co} is a bank serving households and small businesses with loans, mortgages and deposits.",
        "As an insurance carrier, {co} underwrites policies and settles claims for policyholders.",
        "{co} is an asset management firm investing in public markets for pension funds.",
        "Our trading firm is a market maker in equities, options and fixed income securities.",
        "{co} is a fintech lender offering consumer credit and payments products.",
        "We manage portfolios, wealth planning and retirement accounts for our clients.",
    ],
    "nonprofit": [
        "{co} is a nonprofit organization whose mission is to expand access to education.",
        "As a government agency, {co} serves residents through public programs and services.",
        "{co} works with community partners and volunteers to reduce food insecurity.",
        "Our public sector team supports policy decisions with data for the county.",
        "{co} is a charitable foundation funding grants for public health and housing.",
    ],
    "research": [
        "{co} is a research university with laboratories in computing, biology and engineering.",
        "Our research institute publishes work on machine learning, climate and materials science.",
        "The lab, led by a principal investigator, studies human-computer interaction.",
        "{co} hosts faculty and graduate students working on fundamental science.",
        "Our academic research group collaborates with hospitals and national laboratories.",
    ],
    "other": [
        "{co} is a retailer operating hundreds of stores and a growing e-commerce business.",
        "{co} manufactures industrial equipment sold to customers in forty countries.",
        "We are a logistics company moving freight by truck, rail and air.",
        "{co} is a consulting firm helping clients improve operations and strategy.",
        "{co} is an energy utility delivering electricity and natural gas to homes.",
        "Our consumer goods company makes food and beverages sold in grocery stores.",
    ],
}

# (title stem, skills pool, role sentence objects)
ROLES = {
    "ml": ("Machine Learning Engineer", ["Python", "PyTorch", "TensorFlow", "scikit-learn",
           "Docker", "Kubernetes", "AWS", "MLflow", "NLP", "computer vision", "LLMs", "SQL"],
           ["train and evaluate machine learning models", "deploy deep learning models to production",
            "fine-tune large language models", "build retrieval-augmented generation pipelines",
            "monitor model performance and drift"]),
    "ds": ("Data Scientist", ["Python", "R", "SQL", "Pandas", "statistics", "A/B testing",
           "scikit-learn", "Tableau", "XGBoost", "time series"],
           ["build predictive models", "design experiments and A/B tests",
            "analyse customer behaviour", "forecast demand with time series models",
            "communicate insights to stakeholders"]),
    "swe": ("Software Engineer", ["Java", "JavaScript", "TypeScript", "React", "Go", "Python",
            "Docker", "Kubernetes", "REST APIs", "Git", "PostgreSQL", "microservices"],
            ["build backend services and APIs", "develop web applications",
             "write tests and review code", "improve the performance of our platform",
             "ship features end to end"]),
    "de": ("Data Engineer", ["Python", "SQL", "Apache Spark", "Kafka", "Airflow", "dbt",
           "Snowflake", "BigQuery", "Databricks", "ETL"],
           ["build data pipelines", "model data in the warehouse", "maintain ETL jobs",
            "stream events with Kafka", "improve data quality"]),
    "da": ("Data Analyst", ["SQL", "Excel", "Tableau", "Power BI", "Looker", "Python",
           "data visualization", "Google Analytics"],
           ["build dashboards and reports", "analyse operational data",
            "track KPIs for leadership", "clean and reconcile data", "present findings"]),
    "research": ("Research Scientist", ["Python", "PyTorch", "MATLAB", "R", "statistics",
                 "deep learning", "NLP", "bioinformatics", "JAX"],
                 ["run experiments", "write papers for publication", "prototype novel methods",
                  "review the literature", "analyse experimental data"]),
    "cloud": ("Cloud Engineer", ["AWS", "Azure", "Google Cloud", "Terraform", "Kubernetes",
              "Docker", "Linux", "CI/CD", "Python", "Bash"],
              ["automate infrastructure", "operate Kubernetes clusters",
               "build CI/CD pipelines", "improve reliability and monitoring",
               "manage cloud costs"]),
    "biz": ("Business Analyst", ["Excel", "SQL", "PowerPoint", "Tableau", "project management",
            "communication"],
            ["gather business requirements", "map processes", "prepare presentations",
             "support project delivery", "coordinate with vendors"]),
    "nurse": ("Registered Nurse", ["patient care", "EHR", "Epic", "communication"],
              ["provide patient care", "administer medications", "document care in the EHR",
               "educate patients and families", "coordinate with physicians"]),
    "finance": ("Financial Analyst", ["Excel", "financial modeling", "SQL", "Bloomberg",
                "accounting", "PowerPoint"],
                ["build financial models", "prepare monthly reports", "support budgeting",
                 "analyse portfolio performance", "review loan applications"]),
    "ops": ("Operations Associate", ["Excel", "communication", "logistics", "SAP",
            "project management"],
            ["coordinate daily operations", "manage inventory", "support customers",
             "schedule shipments", "improve processes"]),
    "mech": ("Mechanical Engineer", ["CAD", "SolidWorks", "MATLAB", "FEA", "manufacturing"],
             ["design mechanical parts", "run tests on prototypes", "support manufacturing",
              "write test reports", "work with suppliers"]),
}  # fmt: skip
ROLE_MIX = {
    "tech": ["ml", "ds", "swe", "swe", "de", "da", "cloud", "research", "biz", "ops"],
    "healthcare": ["ds", "da", "nurse", "nurse", "research", "ml", "swe", "biz", "ops"],
    "finance": ["finance", "finance", "ds", "da", "swe", "ml", "de", "biz", "ops"],
    "nonprofit": ["da", "biz", "ds", "ops", "swe", "research"],
    "research": ["research", "research", "ml", "ds", "da", "swe", "biz"],
    "other": ["ops", "mech", "da", "biz", "swe", "ds", "finance"],
}
INTERN_TITLES = [
    "{role} Intern",
    "{role} Intern - Summer 2026",
    "Summer 2026 {role} Intern",
    "{role} Co-op (Fall 2026)",
    "{role} Internship",
    "Intern, {role}",
    "{role} Intern (PhD)",
    "Undergraduate {role} Intern",
    "{role} Apprentice",
    "Student {role}",
]
OTHER_TITLES = [
    "{role}",
    "Senior {role}",
    "{role} II",
    "Staff {role}",
    "Lead {role}",
    "Principal {role}",
    "{role}, New Grad 2026",
    "Manager, {role}",
    "{role} (Contract)",
    "Junior {role}",
]
ROLE_SENTENCES = [
    "As part of the team you will {task} using {s1}, {s2} and {s3}.",
    "You will {task} and {task2}.",
    "Day to day, you will {task} with {s1} and {s2}.",
    "Our engineers {task} and expect you to {task2}.",
    "The role involves helping to {task} alongside senior colleagues.",
]
GENERIC = [
    "You will collaborate with product managers, designers and engineers across the company.",
    "We value curiosity, clear written communication and a bias for action.",
    "You will present your work to the team and receive regular feedback.",
    "We work in small teams with a lot of ownership and short feedback loops.",
    "Expect to learn quickly, ask questions and share what you learn.",
    "You will document your work so others can build on it.",
    "We care about quality, security and the privacy of the people we serve.",
    "The team meets in person twice a week and collaborates online the rest of the time.",
    "You will help us measure impact and decide what to build next.",
    "We believe diverse teams build better products.",
    "Strong problem solving skills and attention to detail are important.",
    "You will take part in planning, code reviews and retrospectives.",
]
INTERN_REQS = [
    "Must be currently enrolled in a Bachelor's, Master's or PhD program in Computer Science, Statistics or a related field.",
    "This 12-week paid summer internship runs from June to August 2026.",
    "Interns are paired with a mentor and present a final project at the end of the program.",
    "Candidates should be graduating between December 2026 and June 2028.",
    "Coursework in programming, statistics or data structures is expected.",
    "As an intern you will own a real project from design to launch.",
]
OTHER_REQS = [
    "{n}+ years of professional experience in a similar role.",
    "Bachelor's degree and {n} years of industry experience required.",
    "You have shipped production systems and mentored other engineers.",
    "Experience leading projects with cross-functional stakeholders.",
    "At least {n} years of experience with {s1} in production.",
    "This is a full-time, permanent position.",
]
BOILERPLATE = [
    "We offer medical, dental and vision insurance, a 401(k) match and paid time off.",
    "{co} is an equal opportunity employer and considers all applicants without regard to race, religion, sex, sexual orientation, gender identity, national origin, disability or veteran status.",
    "The salary range for this position is $85,000 to $140,000 depending on experience.",
    "We provide reasonable accommodation to applicants with disabilities.",
    "Benefits include parental leave, tuition support and a learning budget.",
    "Employment is contingent on a background check.",
]
TEAM = "You will join the {a} {b} team working on {c}, {d} and the {e} {f} initiative."
SOURCE_KINDS = ["greenhouse", "lever", "ashby", "workday", "smartrecruiters"]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    """Made-up pronounceable words: team, product and project names (the long tail)."""
    onsets = ["b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br",
              "cr", "st", "tr", "pl"]  # fmt: skip
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io"]
    codas = ["", "n", "r", "s", "x", "l", "th", "nd"]
    words: set[str] = set()
    while len(words) < size:
        syl = rng.randint(2, 3)
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syl))
                  + rng.choice(codas))  # fmt: skip
    return sorted(words)


@dataclass
class _Pools:
    companies: list[tuple[str, str]]  # (name, sector)
    company_p: np.ndarray
    vocab: list[str]
    vocab_p: np.ndarray
    role_lines: dict[str, list[str]]  # role key -> pre-filled sentences


def _pools(seed: int) -> _Pools:
    rng = random.Random(seed)
    companies: list[tuple[str, str]] = []
    seen: set[str] = set()
    for sector, share in zip(SECTORS, SECTOR_SHARE, strict=True):
        forms = COMPANY_FORMS[sector]
        for _ in range(int(4000 * share)):
            for _attempt in range(20):
                name = rng.choice(forms).format(
                    r=rng.choice(ROOTS) + rng.choice(["", " " + rng.choice(ROOTS)]),
                    c=rng.choice(CITIES).split(",")[0],
                    d=rng.choice(DEPARTMENTS),
                )
                if name not in seen:
                    break
            seen.add(name)
            companies.append((name, sector))
    # Employer sizes are long-tailed: a few large boards, many small ones.
    ranks = np.arange(1, len(companies) + 1, dtype=float)
    perm = np.random.default_rng(seed).permutation(len(companies))
    company_p = (1.0 / ranks**0.8)[perm]
    vocab = _vocabulary(rng, 30_000)
    vranks = np.arange(1, len(vocab) + 1, dtype=float)
    role_lines: dict[str, list[str]] = {}
    for key, (_, skills, tasks) in ROLES.items():
        lines = []
        for _ in range(200):
            s = rng.sample(skills, 3)
            t = rng.sample(tasks, 2)
            lines.append(rng.choice(ROLE_SENTENCES).format(
                task=t[0], task2=t[1], s1=s[0], s2=s[1], s3=s[2]))  # fmt: skip
        skill_line = "Skills: " + ", ".join(skills[:6]) + "."
        lines.append(skill_line)
        role_lines[key] = lines
    return _Pools(
        companies=companies,
        company_p=company_p / company_p.sum(),
        vocab=vocab,
        vocab_p=(1.0 / vranks**1.05) / (1.0 / vranks**1.05).sum(),
        role_lines=role_lines,
    )


def postings(n: int, seed: int = 7, start: int = 0, now: datetime = NOW) -> list[PostingIn]:
    """`n` seeded synthetic postings with external ids `start` .. `start + n - 1`."""
    pools = _pools(seed)  # the same employers and vocabulary whatever `start` is
    gen = np.random.default_rng([seed, start])
    rng = random.Random(seed * 1_000_003 + start)
    comp_idx = gen.choice(len(pools.companies), size=n, p=pools.company_p)
    vocab_idx = gen.choice(len(pools.vocab), size=(n, 6), p=pools.vocab_p)
    intern = gen.random(n) < INTERN_SHARE
    age_days = gen.random(n) * 60.0
    n_generic = gen.integers(4, 10, size=n)
    n_role = gen.integers(2, 5, size=n)
    uniform = gen.random((n, 8))
    vocab = pools.vocab
    out: list[PostingIn] = []
    for i in range(n):
        company, sector = pools.companies[comp_idx[i]]
        role = rng.choice(ROLE_MIX[sector])
        stem = ROLES[role][0]
        is_intern = bool(intern[i])
        if is_intern:
            stem = stem.replace("Registered Nurse", "Nursing").replace(" Engineer", " Engineering")
            title = rng.choice(INTERN_TITLES).format(role=stem)
        else:
            title = rng.choice(OTHER_TITLES).format(role=stem)
        u = uniform[i]
        if u[0] < 0.15:
            locations = [rng.choice(REMOTE_LOCATIONS)]
            workplace = "remote"
        else:
            locations = [rng.choice(CITIES)] + ([rng.choice(CITIES)] if u[1] < 0.2 else [])
            workplace = "hybrid" if u[2] < 0.3 else ("onsite" if u[2] < 0.6 else None)
        v = [vocab[j] for j in vocab_idx[i]]
        parts = [rng.choice(INTROS[sector]).format(co=company)]
        parts += rng.sample(pools.role_lines[role], int(n_role[i]))
        parts += ["- " + g for g in rng.sample(GENERIC, int(n_generic[i]))]
        parts.append(TEAM.format(a=v[0], b=v[1], c=v[2], d=v[3], e=v[4], f=v[5]))
        if is_intern:
            parts += rng.sample(INTERN_REQS, 3)
        else:
            years = 2 + int(u[3] * 6)
            s1 = rng.choice(ROLES[role][1])
            parts += [r.format(n=years, s1=s1) for r in rng.sample(OTHER_REQS, 3)]
        parts += [b.format(co=company) for b in rng.sample(BOILERPLATE, 2 + int(u[4] * 3))]
        posted = now - timedelta(days=float(age_days[i]))
        deadline: date | None = None
        if u[5] < 0.2:
            deadline = (now + timedelta(days=int(u[6] * 90) - 10)).date()
        ext = str(start + i)
        kind = SOURCE_KINDS[int(u[7] * len(SOURCE_KINDS))]
        board = company.lower().replace(" ", "").replace(".", "").replace("'", "")[:40]
        out.append(
            PostingIn(
                source_kind=kind,
                board=board,
                external_id=ext,
                title=title,
                company=company,
                url=f"https://jobs.example/{board}/{ext}",
                locations=locations,
                workplace_type=workplace,
                employment_type=("Intern" if u[6] < 0.4 else None)
                if is_intern
                else ("Full-time" if u[6] < 0.5 else None),
                description_text="\n".join(parts),
                posted_at=posted if u[7] > 0.03 else None,
                deadline=deadline,
                department=ROLES[role][0].split()[0] if u[3] < 0.5 else None,
                terms=["Summer 2026"] if is_intern and u[1] < 0.5 else [],
                source_name=board,
                # What the generator meant (benchmarks may use it as a stand-in analysis).
                raw={"sector": sector, "intern": is_intern, "role": role},
            )
        )
    return out
