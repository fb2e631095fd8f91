"""PostingAnalyzer: sector cues and aggregation, roles, seniority, the sklearn conventions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sklearn.exceptions import NotFittedError

from matcher import SECTORS, Analysis, PostingAnalyzer, PostingText, load_taxonomy

ML_BODY = "You will train machine learning models in Python with PyTorch and SQL."


@pytest.fixture(scope="module")
def analyzer() -> PostingAnalyzer:
    return PostingAnalyzer(taxonomy=load_taxonomy()).fit()


def _sector(analyzer: PostingAnalyzer, company: str, body: str = ML_BODY, **kw) -> str:
    return analyzer.analyze(PostingText(title="Data Science Intern", company=company,
                                        description=body, **kw)).sector  # fmt: skip


@pytest.mark.parametrize(
    ("company", "sector"),
    [
        ("State University of Somewhere", "research"),
        ("Lakeside College", "research"),
        ("Carnegie Institute of Technology", "research"),
        ("Riverside General Hospital", "healthcare"),
        ("Northshore Health System", "healthcare"),
        ("Helix Therapeutics", "healthcare"),
        ("Granite Savings Bank", "finance"),
        ("Harbor Capital", "finance"),
        ("Summit Mutual Insurance", "finance"),
        ("County of Alameda", "nonprofit"),
        ("City of Springfield", "nonprofit"),
        ("U.S. Department of Energy", "nonprofit"),
        ("Open Data Foundation", "nonprofit"),
        ("Acme Software", "tech"),
        ("Brightpath Staffing", "other"),
        ("Northwind Aerospace", "other"),
        ("Navy Federal Credit Union", "finance"),  # the head noun says what it is
        ("Bank of Somewhere", "finance"),
        ("Hexagon US Federal", "other"),  # a contractor's federal division, not an agency
        ("Lakeside Foods", "other"),
        # A practice's field comes before "Associates"; "gen..." and "...media" are not biotech.
        ("Lakeview Ophthalmology Associates", "healthcare"),
        ("Pediatric Associates of Dallas", "healthcare"),
        ("Marlow Veterinary Partners", "healthcare"),
        ("Marlow & Finch Associates", "other"),
        ("Vireogen", "healthcare"),
        # Federal agencies known by their initials; a credit union named after one is a bank.
        ("CIA", "nonprofit"),
        ("NASA Goddard Space Flight Center", "nonprofit"),
        ("NASA Federal Credit Union", "finance"),
        ("Blue Cross and Blue Shield of Vermont", "finance"),  # a health insurer
    ],
)
def test_employer_name_cues(analyzer: PostingAnalyzer, company: str, sector: str) -> None:
    assert _sector(analyzer, company) == sector


@pytest.mark.parametrize("company", ["General Assembly", "Genuine", "Genies", "Immediately",
                                     "Multimedia Collective", "Intermediate Studio"])  # fmt: skip
def test_common_words_are_not_biotech_names(analyzer: PostingAnalyzer, company: str) -> None:
    # Only the name speaks: a neutral body and title.
    a = analyzer.analyze(PostingText(title="Analyst", company=company, description="Hello."))
    assert a.sector != "healthcare", (company, a.sector_evidence)


def test_text_cues_without_name_cue(analyzer: PostingAnalyzer) -> None:
    body = ("We are a clinical-stage biotech developing therapies for cancer patients. "
            "Our oncology pipeline and clinical trials rely on genomics. " + ML_BODY)  # fmt: skip
    assert _sector(analyzer, "Zentrix", body) == "healthcare"
    body = ("We underwrite property and casualty insurance for policyholders; our actuarial "
            "and claims teams price premiums. " + ML_BODY)  # fmt: skip
    assert _sector(analyzer, "Zentrix", body) == "finance"


@pytest.mark.parametrize(
    ("body", "sector"),
    [
        # "other" has cues of its own, one family per industry
        ("We are a leading manufacturer of industrial pumps with factories in three states.",
         "other"),
        ("As a defense contractor we support the warfighter; an active TS/SCI clearance is "
         "required.", "other"),
        ("Our client, a Fortune 500 hospital system, needs a contractor. W2 only, pay rate "
         "$60/hr, contract to hire.", "other"),  # a staffing agency describes its client
        # ...and is itself a business-services employer, whatever its client's sector
        ("Huxley is acting as an employment agency in relation to this vacancy. Our client is "
         "a venture-backed SaaS company.", "other"),
        ("We are a regional electric utility serving two million homes.", "other"),
        ("We are a news organization; our newsroom publishes journalism read by millions.",
         "other"),
        ("The university's faculty and graduate students work with principal investigators.",
         "research"),
        ("We are a nonprofit 501(c)(3) funded by donors.", "nonprofit"),
        ("We are a Series B, venture-backed SaaS company; our platform has millions of users.",
         "tech"),
        # A domain's "-tech" company is a technology company.
        ("We are a fintech company: our app helps consumers compare loans.", "tech"),
        ("We are a digital health company; clinicians use our app with their patients.",
         "tech"),
        # Companies call themselves "mission-driven" too: not a nonprofit on that alone.
        ("We are a mission-driven team building software for retailers.", "tech"),
    ],
)  # fmt: skip
def test_text_cues_of_each_sector(analyzer: PostingAnalyzer, body: str, sector: str) -> None:
    assert _sector(analyzer, "Zentrix", body + " " + ML_BODY) == sector


def test_child_and_customer_care_are_not_health(analyzer: PostingAnalyzer) -> None:
    body = ("Bright Start Child Care Network runs child care programs in every state. "
            "Our customer care team answers families' questions about child care. " + ML_BODY)  # fmt: skip
    a = analyzer.analyze(PostingText(title="Data Analyst", company="Bright Start Child Care",
                                     description=body))  # fmt: skip
    assert a.sector_scores["healthcare"] < max(a.sector_scores.values()), a.sector_evidence
    assert "care" not in a.sector_evidence.split(", ")
    # Care on its own still leans to health.
    b = analyzer.analyze(PostingText(title="Data Analyst", company="Bright Start Care",
                                     description=body.replace("child care", "care")))  # fmt: skip
    assert b.sector == "healthcare", b.sector_evidence


def test_equal_opportunity_statement_names_the_employer(analyzer: PostingAnalyzer) -> None:
    body = (ML_BODY + " Applied Robotics Lab is part of the engineering school.\n"
            "The University of Somewhere, as an equal opportunity employer, welcomes everyone.")  # fmt: skip
    a = analyzer.analyze(PostingText(title="Research Intern", company="Applied Robotics Lab",
                                     description=body))  # fmt: skip
    assert a.sector == "research"
    assert "university" in a.sector_evidence


def test_about_us_counts_more_than_the_job(analyzer: PostingAnalyzer) -> None:
    # A bank whose data team works on clinical data is still a bank: the employer's own
    # description ("About us ... is a community bank") outweighs the job's domain words.
    body = ("About us\nZentrix is a community bank offering loans and deposits to families.\n"
            "You will analyse clinical trial data and patient outcomes for our partners.")  # fmt: skip
    assert _sector(analyzer, "Zentrix", body) == "finance"


def test_benefits_boilerplate_is_not_sector_evidence(analyzer: PostingAnalyzer) -> None:
    body = ML_BODY + " Benefits include medical, dental and vision insurance and a 401(k)."
    assert _sector(analyzer, "Zentrix Software", body) == "tech"


@pytest.mark.parametrize(
    "benefit",
    [
        "Federal credit union membership through Allegacy Federal Credit Union",
        "On-site health clinics and fitness centers",
        "Health savings account with an employer match",
        # awards name a magazine and the list's industry, not the employer's
        "Named one of FORTUNE magazine's 100 Best Companies to Work For",
        "Ranked by Inc. 500 Magazine among the fastest-growing companies",
    ],
)
def test_benefit_lines_naming_a_bank_or_clinic_are_boilerplate(benefit: str) -> None:
    from matcher.text import strip_boilerplate

    body = "We make industrial pumps.\nBenefits:\n" + benefit + "\nApply today."
    assert benefit not in strip_boilerplate(body)
    assert "industrial pumps" in strip_boilerplate(body)


def test_sector_hint(analyzer: PostingAnalyzer) -> None:
    assert _sector(analyzer, "Zentrix", sector_hint="government") == "nonprofit"
    assert _sector(analyzer, "Zentrix", sector_hint="healthcare") == "healthcare"


def test_sector_scores_are_probabilities(analyzer: PostingAnalyzer) -> None:
    a = analyzer.analyze(PostingText(title="ML Intern", company="Riverside Hospital"))
    assert set(a.sector_scores) == set(SECTORS)
    assert abs(sum(a.sector_scores.values()) - 1) < 1e-3
    assert max(a.sector_scores, key=a.sector_scores.get) == a.sector


def test_analyze_many_aggregates_per_employer(analyzer: PostingAnalyzer) -> None:
    rich = PostingText(title="Data Scientist", company="Zentrix Inc.",
                       description="Our hospitals and clinics care for patients; clinical data, "
                                   "physicians and nurses. " + ML_BODY)  # fmt: skip
    bare = PostingText(title="Data Engineer Intern", company="ZENTRIX", description=ML_BODY)
    alone = analyzer.analyze(bare).sector
    together = analyzer.analyze_many([rich, bare])
    assert together[0].sector == together[1].sector == "healthcare"
    assert alone != "healthcare"
    flat = PostingAnalyzer(aggregate_employers=False).fit().analyze_many([rich, bare])
    assert flat[1].sector == alone


def test_required_and_preferred_skills(analyzer: PostingAnalyzer) -> None:
    body = ("<h3>What you'll do</h3><ul><li>Build dashboards in Tableau</li></ul>"
            "<h3>Requirements</h3><ul><li>Python and SQL</li><li>Git</li></ul>"
            "<h3>Nice to have</h3><ul><li>PyTorch</li><li>AWS</li></ul>"
            "<p>Experience with Spark is a plus.</p>")  # fmt: skip
    a = analyzer.analyze(PostingText(title="Data Intern", description=body))
    assert a.required_skills == ["Python", "SQL", "Git"]
    assert a.preferred_skills == ["PyTorch", "AWS", "Apache Spark"]
    assert set(a.required_skills + a.preferred_skills) <= set(a.skills)
    assert "Tableau" in a.skills and "Tableau" not in a.required_skills
    # No line drawn: both empty.
    plain = analyzer.analyze(PostingText(title="Data Intern", description=ML_BODY))
    assert plain.skills and plain.required_skills == [] == plain.preferred_skills


def test_n_jobs_gives_the_same_results(analyzer: PostingAnalyzer, monkeypatch) -> None:
    postings = [
        PostingText(title=f"Data Intern {i}", company=f"Acme {i % 7}",
                    description=ML_BODY + (" Our hospitals care for patients." if i % 3 else ""))
        for i in range(60)
    ]  # fmt: skip
    from matcher import classify
    from matcher.parallel import worker_count

    assert worker_count(2, len(postings), 10) == 1  # small batch: ~500 postings per worker
    monkeypatch.setattr(classify, "worker_count", lambda *a, **k: 2)
    parallel = PostingAnalyzer(n_jobs=2).fit()
    expected = analyzer.analyze_many(postings)
    assert parallel.analyze_many(postings) == expected
    # Tasks of at most CHUNK_MAX postings (here many small ones): the same results.
    sizes: list[int] = []
    real_map = classify.map_index_chunks

    def spy(fn, items, chunks, *rest):  # noqa: ANN001, ANN002, ANN202
        sizes.extend(len(c) for c in chunks)
        return real_map(fn, items, chunks, *rest)

    one_each = [replace(p, company=f"Employer {i}") for i, p in enumerate(postings)]
    expected_each = analyzer.analyze_many(one_each)
    monkeypatch.setattr(classify, "map_index_chunks", spy)
    parallel.CHUNK_MAX = 3
    assert parallel.analyze_many(one_each) == expected_each
    assert sizes == [3] * 20
    # Chunks never split an employer (each worker pools its employers' evidence).
    chunks = classify._employer_chunks(postings, 4)
    owners = [{postings[i].company for i in c} for c in chunks]
    assert all(not (a & b) for k, a in enumerate(owners) for b in owners[k + 1 :])
    assert sorted(i for c in chunks for i in c) == list(range(len(postings)))


def test_analyze_equals_analyze_many_for_one(analyzer: PostingAnalyzer) -> None:
    p = PostingText(title="ML Intern", company="Acme", description=ML_BODY)
    assert analyzer.analyze(p) == analyzer.analyze_many([p])[0]


@pytest.mark.parametrize(
    ("title", "body", "role"),
    [
        ("Machine Learning Intern", "", "ml_engineering"),
        ("Data Science Intern", "", "data_science"),
        ("Data Scientist Intern - Summer 2027", "", "data_science"),
        ("Research Scientist Intern", "", "research"),
        ("Scientist Intern, Protein Design", "", "research"),
        ("Research Assistant, NLP", "", "research"),
        ("Automation Intern (RPA)", "", "automation"),
        ("Analytics Engineering Intern", "", "analytics_engineering"),
        ("Cloud AI Intern", "", "cloud_ai"),
        ("Data Engineer Intern", "", "data_engineering"),
        ("Software Engineering Intern, Data Infrastructure", "", "data_engineering"),
        ("Cloud Infrastructure Intern", "", "cloud_ai"),
        ("Business Intelligence Analyst Intern", "", "data_analytics"),
        ("Product Analyst Intern - Investor Experience", "", "data_analytics"),
        ("Financial Data Analyst Intern", "", "data_analytics"),
        ("Data Quality Intern", "", "data_analytics"),
        ("Enterprise Data Governance Intern", "", "data_analytics"),
        ("Data Intern", "", "data_analytics"),
        ("Staff Software Engineer, Data Governance", "", "software"),
        ("Senior Product Manager, Data Management", "", "other"),
        ("Intern - Health Informatics", "", "data_science"),
        ("Algorithm Development Internship - Summer 2025", "", "software"),
        ("Cybersecurity Analyst Intern", "", "other"),
        ("Summer Analyst - Investment Banking", "", "other"),
        ("Financial Analyst Intern", "", "other"),
        ("Threat Intelligence Analyst Co-op", "", "other"),
        ("Software Engineering Intern", "Build web apps in React.", "software"),
        ("Software Engineering Intern", "Ship LLM features: RAG, embeddings, PyTorch models, "
                                        "prompt engineering.", "software_ai"),
        ("Mechanical Engineering Intern", "", "other"),
        ("Marketing Intern", "", "other"),
        # Business work with AI, the cloud or software as its subject is no engineering role.
        ("AI Product Manager Intern", "", "other"),
        ("AI Policy Intern (City Partnerships)", "", "other"),
        ("Cloud Sales Intern", "", "other"),
        ("Marketing Automation Intern", "", "other"),
        ("Technical Program Manager Intern - Software", "", "other"),
        ("AI Tutor - Portuguese", "", "other"),
        ("AI Trainer (Freelance)", "", "other"),
        ("Web Design Intern", "", "other"),
        ("Sales Engineer Intern, Data & AI", "", "other"),
        ("Marketing Intern", "Campaigns on NLP, LLM and PyTorch products with deep learning "
                            "and computer vision.", "other"),
        # ...unless it names a technical job, or the business word is part of the subject.
        ("Applied Scientist, Customer Growth", "", "ml_engineering"),
        ("Solutions Engineer Intern, AI Sales", "", "ml_engineering"),
        ("Finance Data Science Intern", "", "data_science"),
        ("Quantitative Strategist Intern", "", "data_science"),
        ("Machine Learning Intern, Content Understanding", "", "ml_engineering"),
        ("Machine Learning Intern - Policy Learning", "", "ml_engineering"),
    ],
)  # fmt: skip
def test_roles(analyzer: PostingAnalyzer, title: str, body: str, role: str) -> None:
    assert analyzer.analyze(PostingText(title=title, description=body)).role == role


def test_seniority_and_years(analyzer: PostingAnalyzer) -> None:
    a = analyzer.analyze(PostingText(title="Senior ML Engineer",
                                     description="8+ years of experience required."))  # fmt: skip
    assert (a.seniority, a.years_required, a.is_internship) == ("senior", 8, False)
    b = analyzer.analyze(PostingText(title="Product Manager Intern"))
    assert b.seniority is None and b.is_internship


def test_html_description_and_skills(analyzer: PostingAnalyzer) -> None:
    html = "&lt;p&gt;Use &lt;b&gt;Python&lt;/b&gt; &amp;amp; SQL&lt;/p&gt;"
    a = analyzer.analyze(PostingText(title="Data Intern", description=html))
    assert isinstance(a, Analysis)
    assert a.skills[:2] == ["Python", "SQL"]


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        PostingAnalyzer().analyze(PostingText(title="x"))


def test_init_stores_params_only() -> None:
    a = PostingAnalyzer(aggregate_employers=False)
    assert a.aggregate_employers is False and a.taxonomy is None
    assert not any(k.endswith("_") for k in vars(a))
    assert a.fit() is a


@pytest.mark.parametrize(
    "body",
    [
        "Café and résumé: the naïve HEALTH système of a University Hospitál clinic.",
        "Our ﬁnance team (Zürich) serves Bänks, insurers and Asset Managers — 100% remote.",
        "A Nonprofit fondation in São Paulo, the Bundesanstalt für Arbeit: públic health.",
    ],
)
def test_tfidf_sector_similarity_equals_the_vectorizer(
    analyzer: PostingAnalyzer, body: str
) -> None:
    """The direct TF-IDF computation (accents stripped per token) gives the numbers of the
    fitted TfidfVectorizer on the same cleaned text."""
    import numpy as np

    from matcher.sectors import SectorEvidence
    from matcher.text import clean_text

    text = clean_text(body)
    ev = SectorEvidence(raw=np.zeros(len(SECTORS)), cues={})
    sectors = analyzer.sectors_
    sectors.add_tfidf([ev], [text])
    sims = (sectors.vectorizer_.transform([text]) @ sectors.matrix_.T).toarray()[0]
    expected = (sims - sims.mean()) * sectors.weights_["tfidf"]
    assert np.any(expected != 0)
    np.testing.assert_allclose(ev.raw, expected, atol=1e-12)


@pytest.mark.parametrize(
    ("company", "cue"),
    [("Sondermark Careers", None), ("Videoquill Careers Website", None),
     ("Lakeside Health - Jobs", "health"), ("Brightpath Careers Staffing", "careers")],
)  # fmt: skip
def test_career_site_tail_is_not_part_of_the_name(
    analyzer: PostingAnalyzer, company: str, cue: str | None
) -> None:
    a = analyzer.analyze(PostingText(title="Analyst", company=company, description="Hello."))
    if cue is None:
        assert a.sector_evidence == "no specific cue (default)", a.sector_evidence
    else:
        assert cue in a.sector_evidence


@pytest.mark.parametrize(
    ("company", "sector"),
    [("IBM", "tech"), ("HP Inc.", "tech"), ("Amazon Web Services", "tech"), ("Zentrix", "other"),
     ("Apple Bank for Savings", "finance"), ("Meta Financial Group", "finance")],
)  # fmt: skip
def test_well_known_tech_employers_by_name(
    analyzer: PostingAnalyzer, company: str, sector: str
) -> None:
    # A text that leans to "other" (a consultancy's clients): only the name can say "tech";
    # an industry word in the name ("Bank", "Financial") still wins over a famous word.
    body = "As a data scientist you will help our clients in manufacturing and logistics."
    assert _sector(analyzer, company, body) == sector
