"""Skill extraction: synonyms, symbols and the ambiguity rules of short/ordinary names."""

from __future__ import annotations

import pytest

from matcher import load_taxonomy
from matcher.features import SkillExtractor, title_seniority, years_required


@pytest.fixture(scope="module")
def extract():
    return SkillExtractor(load_taxonomy()).extract


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("Experience with Python, R and SQL", {"Python", "R", "SQL"}, set()),
        ("Our R&D team builds sensors", set(), {"R"}),
        ("Work in our R & D lab with Python", {"Python"}, {"R"}),
        ("Statistical programming in R (tidyverse)", {"R"}, set()),
        ("Own the go to market strategy and go-live", set(), {"Go"}),
        ("Backend services in Go, Rust and C++", {"Go", "Rust", "C++"}, set()),
        ("Write Golang microservices", {"Go"}, set()),
        ("Present to the C-suite and C-level leaders", set(), {"C"}),
        ("Embedded firmware in C and C++", {"C", "C++"}, set()),
        ("Strong C/C++ programming", {"C", "C++"}, set()),
        ("Objective-C and Swift for iOS apps", {"Swift"}, {"C"}),
        ("Office in Washington, D.C. near the metro", set(), {"C"}),
        ("Java and JavaScript developers", {"Java", "JavaScript"}, set()),
        ("Modern JavaScript and TypeScript only", {"JavaScript", "TypeScript"}, {"Java"}),
        ("Pipelines in Apache Spark and PySpark", {"Apache Spark"}, set()),
        ("Spark, Hadoop and Kafka for big data", {"Apache Spark", "Hadoop", "Kafka"}, set()),
        ("Ideas that spark joy for our customers", set(), {"Apache Spark"}),
        ("Spark innovation across teams and departments", set(), {"Apache Spark"}),
        ("Advanced Excel (pivot tables, VLOOKUP)", {"Excel"}, set()),
        ("Excellent written skills; excel at teamwork", {"Teamwork"}, {"Excel"}),
        ("Excel in a fast-paced environment", set(), {"Excel"}),
        ("Prepare company analyses in Excel for the deal team", {"Excel"}, set()),
        ("Export the survey results into Excel weekly", {"Excel"}, set()),
        ("We help every student Excel in school", set(), {"Excel"}),
        ("SAS, SPSS or Stata for statistical analysis", {"SAS", "SPSS", "Stata"}, set()),
        ("Julia Roberts will be your contact", set(), {"Julia"}),
        ("Scientific computing in Julia and Python", {"Julia", "Python"}, set()),
        ("The rust on old pipes", set(), {"Rust"}),
        ("Scala with Spark for ETL", {"Scala", "Apache Spark", "ETL"}, set()),
        ("Systems must be scalable", set(), {"Scala"}),
        ("scikit-learn, sklearn, Power-BI, PowerBI", {"scikit-learn", "Power BI"}, set()),
        ("CI/CD with GitHub Actions, C#, .NET and Node.js", {"CI/CD", "C#", ".NET", "Node.js"},
         set()),
        ("Build RAG pipelines with LLMs and LangChain",
         {"Retrieval-augmented generation", "Large language models", "LangChain"}, set()),
        ("Weekly RAG status report to the PMO", set(), {"Retrieval-augmented generation"}),
        ("Transformer models such as BERT and GPT-4", {"Transformers", "BERT", "GPT"}, set()),
        ("Maintain power transformers at substations", set(), {"Transformers"}),
        ("dbt models on Snowflake and BigQuery", {"dbt", "Snowflake", "BigQuery"}, set()),
        ("Clinicians trained in DBT and CBT therapy", set(), {"dbt"}),
        ("AWS, GCP and Microsoft Azure", {"AWS", "Google Cloud", "Azure"}, set()),
        ("Prompt engineering and AI agents with function calling",
         {"Prompt engineering", "AI agents"}, set()),
        ("Bias mitigation, differential privacy and secure coding",
         {"Bias and fairness", "Data privacy", "Cybersecurity"}, set()),
        ("Deploy models with Docker and Kubernetes; MLflow tracking",
         {"Docker", "Kubernetes", "MLflow", "Model deployment"}, set()),
    ],
)  # fmt: skip
def test_extraction(extract, text: str, present: set[str], absent: set[str]) -> None:
    found = set(extract(text))
    assert present <= found, (text, found)
    assert not (absent & found), (text, found)


def test_order_of_appearance_and_no_duplicates(extract) -> None:
    assert extract("SQL then Python then sql again and Python3") == ["SQL", "Python"]


def test_empty_text(extract) -> None:
    assert extract("") == []


def test_profile_skill_names_resolve() -> None:
    tax = load_taxonomy()
    assert tax.canonical_skill("python") == "Python"
    assert tax.canonical_skill("r") == "R"
    assert tax.canonical_skill("golang") == "Go"
    assert tax.canonical_skill("Scikit Learn") == "scikit-learn"
    assert tax.canonical_skill("pyspark") == "Apache Spark"
    assert tax.canonical_skill("underwater basket weaving") is None


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Senior Data Scientist", "senior"),
        ("Sr. Machine Learning Engineer", "senior"),
        ("Staff Software Engineer", "staff"),
        ("Principal Scientist", "principal"),
        ("Lead Data Engineer", "lead"),
        ("Engineering Manager, ML Platform", "manager"),
        ("Director of Data Science", "director"),
        ("Head of AI", "head"),
        ("VP, Analytics", "vp"),
        ("Data Scientist", None),
        ("Product Manager Intern", None),
        ("Member of Technical Staff", None),
        ("Lead Generation Specialist", None),
    ],
)
def test_title_seniority(title: str, level: str | None) -> None:
    assert title_seniority(title) == level


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Requires 5+ years of experience in ML.", 5),
        ("3-5 years of professional experience; 2+ years of Python experience", 3),
        ("Minimum of seven years of relevant work experience", 7),
        ("At least 2 yrs experience with SQL", 2),
        ("Experience: 4+ years building pipelines", 4),
        ("Must be 18 years of age. Founded 100 years ago.", None),
        ("Pursuing a BS in Computer Science", None),
    ],
)
def test_years_required(text: str, years: int | None) -> None:
    assert years_required(text) == years


# --- required vs preferred ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "required", "preferred"),
    [
        ("Requirements\n- Python\n- SQL\nNice to have\n- Spark with Scala", ["Python", "SQL"],
         ["Apache Spark", "Scala"]),
        ("Minimum qualifications: Java.\nPreferred qualifications: Kotlin.", ["Java"],
         ["Kotlin"]),
        ("What you'll do\n- Analyze data with Python and SQL\nWhat you'll bring\n- Tableau",
         ["Tableau"], []),
        ("Responsibilities:\n- Build dashboards in Tableau\nBenefits:\n- Python classes", [], []),
        ("Python is a must; Docker is a bonus.", ["Python"], ["Docker"]),
        ("Ideally you know PyTorch.", [], ["PyTorch"]),
        ("Translate business requirements into SQL queries.", [], []),
        ("Build Tableau dashboards as needed.", [], []),
        ("Modern JavaScript; no Java needed.", [], []),
        ("Experience with Go (required) and Rust (nice to have) programming.", ["Go"],
         ["Rust"]),
        ("Python, SQL and R required, Spark and Scala preferred.", ["Python", "SQL", "R"],
         ["Apache Spark", "Scala"]),
        ("Python and SQL.", [], []),  # no line drawn
    ],
)  # fmt: skip
def test_required_and_preferred(text: str, required: list[str], preferred: list[str]) -> None:
    found = SkillExtractor(load_taxonomy()).analyze(text)
    assert found.required == required, (text, found)
    assert found.preferred == preferred, (text, found)
    assert set(found.required) | set(found.preferred) <= set(found.skills)


def test_title_is_never_a_heading() -> None:
    # A title that reads like a heading ("Skills Trainer") must not mark the body required.
    found = SkillExtractor(load_taxonomy()).analyze("Use Python daily.", head="Technical Skills")
    assert found.required == [] and "Python" in found.skills


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # No context word, but listed next to an accepted technical skill.
        ("Ad-hoc analysis in Excel, Matlab, or other packages.", {"Excel", "MATLAB"}, set()),
        ("CostFlex, Lawson, Pentaho, SAS, Tableau.", {"SAS", "Tableau"}, set()),
        ("Experience with AWS/Spark", {"AWS", "Apache Spark"}, set()),
        ("Libraries for learning such as scikit-learn and pandas", {"Pandas"}, set()),
        ("Including Ruby, Java, PHP, Swift, and Javascript.", {"Swift"}, set()),
        # "Experience with X", "fluency in X": X is a skill.
        ("Experience with Snowflake", {"Snowflake"}, set()),
        ("Fluency in R\nStrong presentation skills", {"R"}, set()),
        ("Hands-on experience in Oracle", {"Oracle Database"}, set()),
        ("Experience in R&D settings", set(), {"R"}),
        ("Knowledge of Go-to-market motions", set(), {"Go"}),
        # ...down a list whose only anchor is at its far end.
        ("Hive, Spark, BERT", {"Hadoop", "Apache Spark", "BERT"}, set()),
        # An exclusion still wins; workplace skills vouch for nothing; a list needs a separator.
        ("Docker, Go-to-market plans", {"Docker"}, {"Go"}),
        ("R&D, Python and Java", {"Python"}, {"R"}),
        ("Teamwork, Communication and Excel", set(), {"Excel"}),
        ("Docker Swift response times", {"Docker"}, {"Swift"}),
    ],
)
def test_list_neighbours_vouch_for_ambiguous_names(
    extract, text: str, present: set[str], absent: set[str]
) -> None:
    found = set(extract(text))
    assert present <= found, (text, found)
    assert not (absent & found), (text, found)


def test_list_neighbours_keep_text_order() -> None:
    ex = SkillExtractor(load_taxonomy())
    starts = [start for start, _, _ in ex.mentions("Pentaho, SAS, Tableau and Python")]
    assert starts == sorted(starts)


def test_list_neighbours_look_at_each_pair_once(monkeypatch) -> None:
    # A long list must not cost a pass per accepted item (a posting can list hundreds).
    import matcher.features as features

    calls = []
    real = features._LIST_SEP

    class Counting:
        def fullmatch(self, *args):
            calls.append(args)
            return real.fullmatch(*args)

    monkeypatch.setattr(features, "_LIST_SEP", Counting())
    n = 300
    found = SkillExtractor(load_taxonomy()).extract(", ".join(["Swift"] * n) + ", Docker")
    assert found == ["Swift", "Docker"]
    assert len(calls) <= n + 1


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # EMR: medical records next to health words, Amazon's EMR in a cloud list.
        ("Analyze EMR records of patients", {"Health data"}, set()),
        ("Spark jobs on EMR", {"Apache Spark"}, {"Health data"}),
        ("AWS services: EC2, EMR, RDS, Redshift", {"AWS"}, {"Health data"}),
        # Everyday phrases after an introducing "experience with", in any capitalisation.
        ("Experience with Go Live events for ERP rollouts", set(), {"Go"}),
        ("Experience in Rust Belt manufacturing", set(), {"Rust"}),
        ("Experience with Swift payments (SWIFT messaging)", set(), {"Swift"}),
        ("Experience with Spark plugs and engines", set(), {"Apache Spark"}),
    ],
)
def test_second_meanings_stay_out(extract, text: str, present: set[str], absent: set[str]) -> None:
    found = set(extract(text))
    assert present <= found, (text, found)
    assert not (absent & found), (text, found)
