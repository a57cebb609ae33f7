from framelens.data.sentences import read_lines, split_sentences


def test_abbreviations_initials_and_acronyms_stay_inside():
    text = ("Gen. Omar Hale said the U.N. convoy left at 6 a.m. on Monday. "
            "Lt. Col. R. Dunn disagreed. The U.S. embassy said 12 people died.")
    assert split_sentences(text) == [
        "Gen. Omar Hale said the U.N. convoy left at 6 a.m. on Monday.",
        "Lt. Col. R. Dunn disagreed.",
        "The U.S. embassy said 12 people died.",
    ]


def test_quotes_questions_and_exclamations():
    text = '"We will not leave," she said. Why now? Nobody knows! Aid is "urgent."  Next one.'
    assert split_sentences(text) == [
        '"We will not leave," she said.', "Why now?", "Nobody knows!", 'Aid is "urgent."',
        "Next one.",
    ]


def test_lines_are_paragraphs_so_headlines_stand_alone():
    text = "Aid blocked in the north\n\nKARDAN (wire) - Trucks waited at the gate. None entered.\n"
    assert split_sentences(text) == [
        "Aid blocked in the north", "KARDAN (wire) - Trucks waited at the gate.", "None entered.",
    ]


def test_numbers_and_lowercase_after_period_do_not_split():
    assert split_sentences("Casualties rose 2.5 percent. figures vary.") == [
        "Casualties rose 2.5 percent. figures vary."
    ]


def test_read_lines():
    assert read_lines("one\n\n  two  \n") == ["one", "two"]
