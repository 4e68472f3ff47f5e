"""Check a hand-in PDF against a rebuild of the same commit and config.

    PYTHONPATH=scripts .venv/bin/python -m hw4.verify results/report/hw4-report.pdf
    PYTHONPATH=scripts .venv/bin/python -m hw4.verify results/report/hw4-report.pdf --fast

The PDF carries two attachments (``hw4.report.manifest``): the manifest (config, commit,
versions, every data source's and artifact's sha256) and every printed number with its
declared tolerance (``hw4.io.tolerances``). The default mode rebuilds the whole workflow in a
fresh folder from the recorded commit (a ``git worktree``; the current checkout when it is
that commit with the same changes, or with ``--checkout current``, saying how it differs)
and the attached config, then compares the two PDFs' numbers and pages. ``--fast`` trains
nothing: it checks the ``results/`` the hand-in was built from (``--results``, default the
folder the PDF's ``results/`` sits in): every artifact must have its recorded sha256 and every
number built again from them must be the same, with no tolerance (the same files give the same
numbers). It reads no page: its verdict is on the attachments, and says so. ``--against``
compares with a rebuild already made, with the declared tolerances.

One line per number that is not the same (within its tolerance, or different, with both
values), per page whose text differs beyond the declared fields, and a summary. Exit status
0 when everything agrees, 1 otherwise (input it cannot read: one line naming it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hw4.errors import InputError, RunFailure
from hw4.io.files import read_yaml
from hw4.io.tolerances import (
    EXACT,
    MEASURED_FIGURES,
    Tolerance,
    is_number,
    same_value,
    tolerance_of,
)
from hw4.report.claims import load_catalogue
from hw4.report.manifest import MANIFEST_NAME, NUMBERS_NAME, git_state, printed_numbers

REPO = Path(__file__).resolve().parents[2]
PDF_PATH = "results/report/hw4-report.pdf"


class VerifyError(InputError):
    """A hand-in the verifier cannot read: no PDF, no attachments, an unknown commit."""


@dataclass(frozen=True)
class Finding:
    """One line of the verdict: ``status`` is ``within``, ``different`` or ``note``."""

    status: str
    text: str

    def line(self) -> str:
        label = {"within": "within tolerance", "different": "DIFFERENT", "note": "note"}
        return f"{label[self.status]}: {self.text}"


def read_attachments(pdf: str | Path) -> tuple[dict, dict]:
    """The manifest and the numbers a PDF carries. Raises ``VerifyError`` naming the file
    and the attachment when either is missing or no JSON."""
    import pypdf

    if not Path(pdf).is_file():
        raise VerifyError(f"{pdf}: no such PDF")
    try:
        attached = pypdf.PdfReader(str(pdf)).attachments
    except pypdf.errors.PdfReadError as error:
        raise VerifyError(f"{pdf}: not a readable PDF ({error})") from None
    found = []
    for name in (MANIFEST_NAME, NUMBERS_NAME):
        if name not in attached:
            raise VerifyError(
                f"{pdf}: no {name} attachment (a report built before it was attached)"
            )
        if len(attached[name]) > 1:
            raise VerifyError(f"{pdf}: {len(attached[name])} attachments named {name}; one is made")
        try:
            found.append(json.loads(attached[name][0]))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise VerifyError(f"{pdf}: attachment {name} is not JSON ({error})") from None
    manifest, numbers = found
    return checked_manifest(pdf, manifest), checked_numbers(pdf, numbers)


MANIFEST_KEYS = ("config", "config_sha256", "git", "artifacts", "data_sources", "report_inputs")
ENTRY_KEYS = ("value", "tolerance", "source")


def checked_manifest(pdf: str | Path, manifest) -> dict:
    """The manifest, after checking its shape and that its config hashes to its recorded
    sha256 (an edited config would otherwise go unseen). Raises ``VerifyError``."""
    from hw4.config_check import config_hash

    where = f"{pdf}: attachment {MANIFEST_NAME}"
    if not isinstance(manifest, dict):
        raise VerifyError(f"{where} is not a JSON object")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise VerifyError(f"{where} lacks {', '.join(missing)}")
    if not all(isinstance(manifest[key], dict) for key in MANIFEST_KEYS if key != "config_sha256"):
        raise VerifyError(
            f"{where}: config, git, artifacts, data_sources and report_inputs must be objects"
        )
    if config_hash(manifest["config"]) != manifest["config_sha256"]:
        raise VerifyError(
            f"{where}: its config does not hash to its config_sha256 (edited after the build)"
        )
    return manifest


def checked_numbers(pdf: str | Path, numbers) -> dict[str, dict]:
    """The attached numbers (``{key: {"value", "tolerance", "source", ...}}``), after checking
    their shape and that every tolerance label reads. Raises ``VerifyError`` naming the key."""
    where = f"{pdf}: attachment {NUMBERS_NAME}"
    if not isinstance(numbers, dict) or not isinstance(numbers.get("numbers"), dict):
        raise VerifyError(f"{where} has no 'numbers' object")
    for key, entry in numbers["numbers"].items():
        if not isinstance(entry, dict) or any(field not in entry for field in ENTRY_KEYS):
            raise VerifyError(f"{where}: {key!r} lacks one of {', '.join(ENTRY_KEYS)}")
        try:
            tolerance_from(entry["tolerance"], {})
        except (AttributeError, ValueError):
            raise VerifyError(
                f"{where}: {key!r} has no readable tolerance ({entry['tolerance']!r})"
            ) from None
    return numbers["numbers"]


def tolerance_from(label: str, whys: dict[str, str]) -> Tolerance:
    """A tolerance from its attached label (``exact``, ``free``, ``factor 5``, ``absolute 1``)."""
    kind, _, amount = label.partition(" ")
    if kind not in ("exact", "free", "factor", "absolute") or (
        kind in ("factor", "absolute")
    ) != bool(amount):
        raise ValueError(f"no such tolerance: {label!r}")
    return Tolerance(kind, float(amount or 0), whys.get(label, ""))


def shown(value) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


# The fast mode's judgement: its numbers come from the very files the hand-in records.
SAME_FILES = Tolerance("exact", why="fast mode: built from the files the hand-in records")


def compare_numbers(
    handin: dict[str, dict], rebuilt: dict[str, dict], whys: dict[str, str], exact: bool = False
) -> tuple[list[Finding], Counter]:
    """One finding per number not the same in ``handin`` and ``rebuilt`` (``{key: entry}``),
    judged by the rebuild's declared tolerance, or as exact with ``exact`` (the fast mode);
    the counts of same/within/different."""
    findings, counts = [], Counter()
    for key in sorted(set(handin) | set(rebuilt)):
        if key not in rebuilt or key not in handin:
            # An item of a list whose length follows the clock (the lengths at which one
            # model is slower) may be in one build only: its declared tolerance says so.
            where, present = (
                ("hand-in", handin[key]) if key in handin else ("rebuild", rebuilt[key])
            )
            # A key only the hand-in has is judged by what this checkout declares for it,
            # never by the label it carries (an added key would excuse itself).
            if exact:
                tolerance = SAME_FILES
            elif key in rebuilt:
                tolerance = tolerance_from(present["tolerance"], whys)
            else:
                tolerance = tolerance_of(key)
            status = "different" if tolerance.kind == "exact" else "within"
            counts[status] += 1
            findings.append(
                Finding(
                    status,
                    f"{key}: only in the {where} ({shown(present['value'])}); "
                    f"{tolerance.label()} ({tolerance.why})",
                )
            )
            continue
        first, second = handin[key]["value"], rebuilt[key]["value"]
        if same_value(first, second):
            counts["same"] += 1
            continue
        tolerance = SAME_FILES if exact else tolerance_from(rebuilt[key]["tolerance"], whys)
        status = "within" if tolerance.allows(first, second) else "different"
        counts[status] += 1
        findings.append(
            Finding(
                status,
                f"{key}: {shown(first)} (hand-in) vs {shown(second)} (rebuild); "
                f"{tolerance.label()} ({tolerance.why}); from {source_text(rebuilt[key]['source'])}",
            )
        )
    return findings, counts


def source_text(source: dict) -> str:
    if "artifact" in source:
        return f"rule {source['rule']}, {source['artifact']}, {source['key']}"
    if "file" in source:
        return f"{source['file']}, {source['key']}"
    return f"{source['derived_in']} ({', '.join(source['artifacts'])})"


def compare_files(
    handin: dict, rebuilt: dict, measured: set[str], same_files: bool = False
) -> tuple[list[Finding], int]:
    """Data sources must have the same sha256; a figure too, unless it plots measured time
    (``measured``); a JSON or CSV artifact is judged by its numbers, its sha256 difference
    is a note (it also records when it was made). Returns the findings and the count of
    differences."""
    findings, different = [], 0
    for name in sorted(set(handin["data_sources"]) | set(rebuilt["data_sources"])):
        ours = handin["data_sources"].get(name, {}).get("sha256")
        theirs = rebuilt["data_sources"].get(name, {}).get("sha256")
        if ours != theirs:
            findings.append(
                Finding("different", f"data {name}: sha256 {ours} (hand-in) vs {theirs} (rebuild)")
            )
            different += 1
    for name in sorted(set(handin["artifacts"]) | set(rebuilt["artifacts"])):
        ours = handin["artifacts"].get(name, {})
        theirs = rebuilt["artifacts"].get(name, {})
        if ours.get("sha256") == theirs.get("sha256"):
            continue
        file = theirs.get("file") or ours.get("file")
        text = f"{name} ({file}): sha256 {str(ours.get('sha256'))[:12]}… (hand-in) vs {str(theirs.get('sha256'))[:12]}… (rebuild)"
        # A rebuild's JSON and CSV record their own times; the fast mode's files must be
        # the very ones the hand-in records.
        if not same_files and (file and file.endswith((".json", ".csv")) or name in measured):
            findings.append(
                Finding(
                    "note",
                    text + "; judged by its numbers"
                    if name not in measured
                    else text + "; plots measured time",
                )
            )
        else:
            findings.append(Finding("different", text))
            different += 1
    return findings, different


# Marks and digits that text extraction gives in more than one form.
INVISIBLE = re.compile("[\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\u00ad]")
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬−", "01234567890123456789.,-")
HASH = re.compile(r"(?=[0-9a-f]*[a-f])[0-9a-f]{10,}")


def normalised(text: str) -> str:
    """Text without bidi marks, with Persian digits and separators as ASCII."""
    return INVISIBLE.sub("", text).translate(DIGITS)


# A word: a run of Persian letters, of Latin letters, or a number (extraction glues a
# Persian word to the Latin or the number beside it).
PERSIAN = "\u0621-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\ufb50-\ufdff\ufe70-\ufefc"
WORD = re.compile(
    r"(?=[0-9a-f]*[a-f])[0-9a-f]{10,}|[0-9][0-9.,]*[0-9]|[0-9]|[A-Za-z_][A-Za-z_'-]*"
    f"|[{PERSIAN}]+"
)
PERSIAN_WORD = re.compile(f"[{PERSIAN}]+")


def words_of(text: str) -> list[str]:
    """The words of ``text``, normalised (``normalised``), punctuation dropped: a hyphen or
    apostrophe at a word's end is punctuation (``LSTM-`` where a minus sign or a dash follows
    the word in one render and a space in the other)."""
    words = (word.strip("-'") for word in WORD.findall(normalised(text)))
    return [word for word in words if word]


# The contents' dot leaders: a contents page lists the headings of the other pages and the
# pages they fall on, which move when a measured sentence grows a line.
LEADERS = re.compile(r"\.{10,}")


def page_texts(pdf: str | Path) -> list[list[str] | None]:
    """Each page's words (``words_of``), as pypdf extracts them (it keeps Persian letters
    right; poppler's pdftotext reorders some); None for a contents page."""
    import pypdf

    pages = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        text = page.extract_text() or ""
        pages.append(None if LEADERS.search(text) else words_of(text))
    return pages


def as_number(token: str) -> tuple[float, int] | None:
    """A printed number and its decimals, or None: ``1,234.5`` -> (1234.5, 1)."""
    core = token.strip("()[]{}.,;:%×x\"'«»؛،!?s").replace(",", "")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", core):
        return None
    return float(core), len(core.partition(".")[2])


def glued_from(token: str, known: set[str]) -> bool:
    """Whether a Persian ``token`` is one or more ``known`` words run together: text
    extraction joins or splits Persian words differently in two renders of one text."""
    reachable = [True] + [False] * len(token)
    for end in range(2, len(token) + 1):
        reachable[end] = any(
            reachable[start] and token[start:end] in known for start in range(0, end - 1)
        )
    return reachable[-1]


def explained(token: str, values: list[float], words: set[str]) -> bool:
    """Whether a word that differs between two pages is one of the declared fields: a hash,
    a word of the run's environment, or a number one of the declared-variable values prints
    as (to its printed decimals, as a share or a percentage; read backwards too, as some
    extractors give Persian digits)."""
    if HASH.search(token) or token in words:
        return True
    if PERSIAN_WORD.fullmatch(token):
        # Joined from known words, or a piece of one split at a line's end.
        return glued_from(token, words) or any(token in word for word in words)
    for candidate in {token, token[::-1]}:
        parsed = as_number(candidate)
        if parsed is None:
            continue
        printed, decimals = parsed
        step = 0.5 * 10**-decimals * 1.001
        # As printed: the value itself, a percentage, milliseconds or microseconds.
        scales = (1, 100, 1000, 1_000_000)
        # The sign is a separate glyph (U+2212) the word does not keep.
        if any(abs(scale * abs(value) - printed) <= step for value in values for scale in scales):
            return True
    return False


def split_into(token: str, pieces: Counter) -> list[str] | None:
    """``token`` as a run of two or more of ``pieces`` (each used no more often than its
    count), or None."""
    best: list[list[str] | None] = [[]] + [None] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(end):
            head, piece = best[start], token[start:end]
            if head is not None and pieces[piece] > head.count(piece):
                best[end] = [*head, piece]
                break
    found = best[-1]
    return found if found and len(found) > 1 else None


def regrouped(ours: Counter, theirs: Counter) -> tuple[Counter, Counter]:
    """The words only one PDF has, less those that are the same characters grouped
    otherwise: text extraction glues two tokens (``5.7`` and ``001``, a number and its
    exponent) when a line breaks elsewhere in the other render."""
    ours, theirs = Counter(ours), Counter(theirs)
    for one, other in ((ours, theirs), (theirs, ours)):
        for token in sorted(one, key=len, reverse=True):
            while one[token] > 0:
                pieces = split_into(token, +other)
                if pieces is None:
                    break
                one[token] -= 1
                other.subtract(pieces)
    return +ours, +theirs


def compare_pages(
    handin: list[list[str] | None],
    rebuilt: list[list[str] | None],
    values: list[float],
    words: set[str],
) -> list[Finding]:
    """One finding per page whose words differ beyond the declared fields.

    Words are compared over the whole document first, so that a line that moved to the next
    page (a longer measured time above it) is no difference; each word that is in one PDF
    and not the other is then placed on its page (the hand-in's page for a word only the
    hand-in has, the rebuild's for one only the rebuild has)."""
    findings = []
    if len(handin) != len(rebuilt):
        findings.append(
            Finding("different", f"pages: {len(handin)} (hand-in) vs {len(rebuilt)} (rebuild)")
        )
    skipped = [n for n, page in enumerate(handin, start=1) if page is None]
    if skipped:
        findings.append(
            Finding("note", f"page {', '.join(map(str, skipped))}: the contents, not compared")
        )
    handin = [page or [] for page in handin]
    rebuilt = [page or [] for page in rebuilt]
    ours, theirs = (
        Counter(w for page in handin for w in page),
        Counter(w for page in rebuilt for w in page),
    )

    def placed(pages: list[list[str]], extra: Counter, other: Counter) -> dict[int, list[str]]:
        # Persian words are read loosely (extraction joins them differently in two
        # renders): one is no difference when it is made of words the other PDF has.
        known = words | {w for w in other if PERSIAN_WORD.fullmatch(w) and len(w) > 1}
        extra = Counter({w: n for w, n in extra.items() if not explained(w, values, known)})
        found: dict[int, list[str]] = {}
        for number, page in enumerate(pages, start=1):
            for word in page:
                if extra[word] > 0:
                    extra[word] -= 1
                    found.setdefault(number, []).append(word)
        return found

    only_ours, only_theirs = regrouped(ours - theirs, theirs - ours)
    removed = placed(handin, only_ours, theirs)
    added = placed(rebuilt, only_theirs, ours)
    for number in sorted(set(removed) | set(added)):
        findings.append(
            Finding(
                "different",
                f"page {number}: text differs beyond the declared fields: hand-in "
                f"{' '.join(removed.get(number, [])[:8])!r} vs rebuild "
                f"{' '.join(added.get(number, [])[:8])!r}",
            )
        )
    return findings


# The headings of the pages that are no section of report/sections.yaml.
FIXED_HEADINGS = [
    "نتایج در یک نگاه Results at a glance فهرست Contents",
    "پیوست — منشأ نتایج و زمان اجرا Appendix — provenance and run times",
]


def heading_words(sections: list[dict]) -> set[str]:
    """The words of the running headings (every section's titles): a heading repeats on
    every page of its section, so its count follows the layout. Numbers are left out."""
    text = " ".join(FIXED_HEADINGS + [f"{s['title_fa']} {s['title_en']}" for s in sections])
    return {word for word in words_of(text) if not word[0].isdigit()}


def date_words(report_date: dict | None) -> set[str]:
    """The words of the title page's date when the config did not fix it (it is then the day
    the artifacts were made, and a rebuild on another day prints its own): the ISO date's
    parts and the Solar Hijri day, month name and year."""
    if not report_date or report_date["configured"]:
        return set()
    solar = report_date["solar_hijri"]
    return set(
        words_of(f"{report_date['iso']} {solar['day']} {solar['month_name']} {solar['year']}")
    )


def declared_fields(
    handin: tuple[dict, dict], rebuilt: tuple[dict, dict], catalogue: dict[str, dict]
) -> tuple[list[float], set[str]]:
    """What may differ on a page, over both builds (``(manifest, numbers)`` each): the
    values of every number not declared exact (and the sum of the rules' wall times the
    appendix prints); the words of the run's environment and digests; and the words of every
    wording of a claim whose verdict is declared free and differs (``catalogue``: the
    claims' wordings, ``hw4.report.claims.load_catalogue``)."""
    values, words = [], set()
    for manifest, numbers in (handin, rebuilt):
        values += [
            float(entry["value"])
            for entry in numbers.values()
            if entry["tolerance"] != EXACT.label() and is_number(entry["value"])
        ]
        values.append(
            sum(
                entry["value"]
                for key, entry in numbers.items()
                if re.fullmatch(r"context:provenance\.rules\.\w+\.seconds", key)
            )
        )
        values.append(len(numbers))  # the appendix's count of numbers
        text = json.dumps([manifest["environment"], manifest["git"]], ensure_ascii=False)
        words |= set(re.split(r"[\s\"\[\]{}:,;()]+", text)) - {""}
        words |= {record["sha256"] for record in manifest["artifacts"].values()}
        words |= date_words(manifest.get("report_date"))
    # A claim decided by the clock may be worded otherwise when any of its values moved
    # (claim ids are <section>.<name>: the key's first two parts).
    moved = {
        ".".join(key.removeprefix("claim:").split(".")[:2])
        for key, entry in rebuilt[1].items()
        if key.startswith("claim:") and handin[1].get(key, {}).get("value") != entry["value"]
    }
    for claim_id in moved & set(catalogue):
        if rebuilt[1].get(f"claim:{claim_id}", {}).get("tolerance") == "free":
            for wording in catalogue[claim_id]["verdicts"].values():
                for text in wording.values():
                    words |= set(words_of(re.sub(r"{{.*?}}|{%.*?%}|<[^>]+>", " ", text)))
    return values, words


def checkout_for(manifest: dict, choice: str, workdir: Path) -> tuple[Path, list[str]]:
    """The source tree to rebuild from, and the lines that say which and how it differs
    from the hand-in's. ``choice``: ``recorded`` (the hand-in's commit: this checkout when it
    is that commit with the same changes, else a git worktree of it) or ``current``."""
    recorded = manifest["git"]
    current = git_state(REPO)
    same = (
        current["commit"] == recorded["commit"]
        and current["diff_sha256"] == recorded["diff_sha256"]
    )
    lines = []
    if not recorded["clean"]:
        lines.append(
            f"the hand-in was built from commit {recorded['commit']} with uncommitted changes "
            f"(diff sha256 {recorded['diff_sha256']})"
        )
    if same:
        lines.append(f"rebuilding from this checkout ({REPO}), the hand-in's commit and tree")
        return REPO, lines
    if choice == "current":
        how = (
            f"commit {current['commit']}"
            if current["commit"] != recorded["commit"]
            else "the same commit with other uncommitted changes"
            if current["diff_sha256"]
            else "the same commit without those changes"
        )
        lines.append(
            f"rebuilding from this checkout ({REPO}), which differs from the hand-in's: {how}"
        )
        return REPO, lines
    tree = workdir / "checkout"
    made = subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), str(recorded["commit"])],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise VerifyError(
            f"commit {recorded['commit']} is not in {REPO} ({made.stderr.strip().splitlines()[-1]}); "
            "fetch it, or rebuild from this checkout with --checkout current"
        )
    lines.append(
        f"rebuilding from commit {recorded['commit']} in {tree} (this checkout is at "
        f"{current['commit']}{'' if current['clean'] else ' with uncommitted changes'})"
        + ("" if recorded["clean"] else ", without the hand-in's uncommitted changes")
    )
    return tree, lines


def rebuild(manifest: dict, workdir: Path, source: Path, cores: int) -> Path:
    """Run the whole workflow of ``source`` in ``workdir`` with the hand-in's config; the
    rebuilt PDF. Raises ``RunFailure`` naming the log when Snakemake fails."""
    config = workdir / "hand-in-config.json"
    config.write_text(json.dumps(manifest["config"], ensure_ascii=False), encoding="utf-8")
    log = workdir / "rebuild.log"
    snakemake = Path(sys.executable).parent / "snakemake"
    command = [
        str(snakemake),
        "-s",
        str(source / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        str(cores),
        "--resources",
        "gpu=1",
    ]
    env = {**os.environ, "PATH": f"{snakemake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "w", encoding="utf-8") as handle:
        done = subprocess.run(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, check=False
        )
    if done.returncode != 0:
        raise RunFailure(f"the rebuild failed (exit {done.returncode}); its log: {log}")
    return workdir / PDF_PATH


def numbers_of_results(manifest: dict, root: Path) -> tuple[dict, dict]:
    """The manifest's files and the numbers, built again from the artifacts under ``root``
    (a folder holding ``results/``) by this checkout's report code, without rendering.
    Raises ``VerifyError`` in one line when that code cannot read them (artifacts of another
    commit, a cut or edited file)."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        return rebuilt_numbers(manifest)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - the whole report code, summed up in one line
        raise VerifyError(
            f"{root}: this checkout's report code (commit {git_state(REPO)['commit'][:12]}) "
            f"cannot build the numbers from these artifacts ({type(error).__name__}: {error}); "
            f"check out the hand-in's commit {str(manifest['git'].get('commit'))[:12]} and run "
            "it from there"
        ) from None
    finally:
        os.chdir(previous)


def rebuilt_numbers(manifest: dict) -> tuple[dict, dict]:
    """``numbers_of_results`` in the current folder."""
    from hw4.report.context import SECTION_MODULES, build_context
    from hw4.report.manifest import data_sources

    inputs = manifest["report_inputs"]
    context = build_context(
        inputs["artifacts"],
        inputs["figures"],
        inputs["rules"],
        read_yaml(REPO / "report" / "sections.yaml"),
        manifest["config"]["report"],
        manifest["config_sha256"],
        REPO,
        read_yaml(REPO / "report" / "original_handin.yaml"),
        read_yaml(REPO / "report" / "listings.yaml"),
    )
    claims = {
        key: {"verdict": c.verdict, "values": c.values} for key, c in context["claims"].items()
    }
    catalogue = load_catalogue(REPO / "report" / "claims")
    numbers = printed_numbers(context, claims, inputs["artifacts"], SECTION_MODULES, catalogue)
    files = {
        **manifest,
        # Every file the report reads, from the files themselves: an entry dropped from the
        # hand-in's manifest is then a file only the rebuild has.
        "artifacts": context["sources"],
        "data_sources": data_sources(context),
    }
    return files, numbers


def verdict(
    findings: list[Finding],
    counts: Counter,
    pages: str,
    outcome: tuple[str, str] = ("the hand-in agrees", "the hand-in does NOT agree"),
) -> int:
    """Print the findings and the summary line, which ends with ``outcome`` (what agrees,
    what does not); 1 when any finding is a difference."""
    for finding in findings:
        print(finding.line())
    different = sum(f.status == "different" for f in findings)
    print(
        f"summary: {sum(counts.values()):,} numbers: {counts['same']:,} same, "
        f"{counts['within']:,} within their declared tolerance, {counts['different']:,} different; "
        f"{pages}; {outcome[1] if different else outcome[0]}"
    )
    return 1 if different else 0


def rebuild_in_fresh_folder(manifest: dict, arguments: argparse.Namespace) -> Path:
    """The rebuilt PDF, made in ``--workdir`` (empty or new) or a new temporary folder."""
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="hw4-verify-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise VerifyError(f"{workdir}: not empty; the rebuild needs a fresh folder")
    source, lines = checkout_for(manifest, arguments.checkout, workdir)
    for line in lines:
        print(line)
    print(f"rebuild: {workdir} (log: {workdir / 'rebuild.log'})", flush=True)
    try:
        return rebuild(manifest, workdir, source, arguments.cores)
    finally:
        if source != REPO:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(source)],
                capture_output=True,
                check=False,
            )


def build_folder_of(pdf: Path) -> Path:
    """The folder a PDF at ``<folder>/results/report/<name>.pdf`` was built in. Raises
    ``VerifyError`` for a PDF elsewhere (a copy): its build is then given with --results."""
    resolved = pdf.resolve()
    if resolved.parent.name != "report" or resolved.parent.parent.name != "results":
        raise VerifyError(
            f"{pdf}: not under a build's results/report/; give the folder of the build it came "
            "from with --results"
        )
    return resolved.parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hw4.verify", description=__doc__.splitlines()[0]
    )
    parser.add_argument("pdf", type=Path, help="the hand-in, e.g. results/report/hw4-report.pdf")
    parser.add_argument(
        "--fast", action="store_true", help="check an existing results/ by sha256, no rebuild"
    )
    parser.add_argument(
        "--results", type=Path, help="--fast: the folder holding results/ (default: the PDF's)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="the rebuild's folder (default: a new temporary one)"
    )
    parser.add_argument(
        "--against", type=Path, help="compare with the rebuild already in this folder, no new one"
    )
    parser.add_argument("--checkout", choices=["recorded", "current"], default="recorded")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        manifest, numbers = read_attachments(arguments.pdf)
        git = manifest["git"]
        print(
            f"hand-in: {arguments.pdf} (commit {git['commit']}, tree "
            f"{'clean' if git['clean'] else 'with uncommitted changes'}; config sha256 "
            f"{manifest['config_sha256'][:12]}…; {len(numbers):,} numbers)"
        )
        if arguments.fast and arguments.against:
            raise VerifyError(
                "--fast checks the results/ a hand-in came from; --against compares with a rebuild: give one"
            )
        if arguments.fast:
            root = arguments.results or build_folder_of(arguments.pdf)
            if not (root / "results").is_dir():
                raise VerifyError(
                    f"{root}: no results/ folder here; give the folder of the build the hand-in came from with --results"
                )
            print(
                f"fast: against the artifacts under {root} by sha256, numbers built again from them"
            )
            current = git_state(REPO)
            if (current["commit"], current["diff_sha256"]) != (git["commit"], git["diff_sha256"]):
                print(
                    f"the numbers are built by this checkout's report code (commit "
                    f"{current['commit']}{'' if current['clean'] else ' with uncommitted changes'}), "
                    "not the hand-in's"
                )
            files, rebuilt = numbers_of_results(manifest, root)
            pages = "pages not read (fast mode: the attachments alone)"
            page_findings = []
        elif arguments.against:
            print(f"against the rebuild already in {arguments.against}")
            rebuilt_pdf = arguments.against / PDF_PATH
        else:
            rebuilt_pdf = rebuild_in_fresh_folder(manifest, arguments)
        if not arguments.fast:
            files, rebuilt = read_attachments(rebuilt_pdf)
            catalogue = load_catalogue(REPO / "report" / "claims")
            values, words = declared_fields((manifest, numbers), (files, rebuilt), catalogue)
            words |= heading_words(read_yaml(REPO / "report" / "sections.yaml"))
            handin_pages, rebuilt_pages = page_texts(arguments.pdf), page_texts(rebuilt_pdf)
            page_findings = compare_pages(handin_pages, rebuilt_pages, values, words)
            differing = sum(f.status == "different" for f in page_findings)
            pages = f"{len(handin_pages)} pages, {differing} differ beyond the declared fields"
        whys = {**manifest.get("tolerances", {}), **files.get("tolerances", {})}
        number_findings, counts = compare_numbers(numbers, rebuilt, whys, exact=arguments.fast)
        file_findings, _ = compare_files(
            manifest, files, MEASURED_FIGURES, same_files=arguments.fast
        )
        if files["config_sha256"] != manifest["config_sha256"]:
            file_findings.append(Finding("different", "config sha256 differs from the hand-in's"))
        outcome = (
            (
                "the attachments agree with these results",
                "the attachments do NOT agree with these results",
            )
            if arguments.fast
            else ("the hand-in agrees", "the hand-in does NOT agree")
        )
        status = verdict(number_findings + file_findings + page_findings, counts, pages, outcome)
        print(f"verified in {time.perf_counter() - start:.0f} s")
        return status
    except (InputError, RunFailure, FileNotFoundError) as error:
        print(f"verify: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
