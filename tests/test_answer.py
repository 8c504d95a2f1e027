"""Extractive answers: sentence choice and composition, on vectors built by hand."""
import numpy as np

from citegraph.graph.models import SentenceVectors
from citegraph.search.answer import best_sentence, compose
from citegraph.search.results import Answer


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_sentence_skips_titles_and_questions_while_a_statement_exists():
    text = "Who owns analytics?\n\nThe CCO owns it at Sun. Marketing does elsewhere."
    spans = [(0, 19), (21, 44), (45, 70)]
    assert [text[a:b] for a, b in spans][0] == "Who owns analytics?"
    vectors = np.stack([unit(1, 0, 0), unit(0.8, 0.6, 0), unit(0, 0, 1)]).astype(np.float16)
    h = best_sentence(unit(1, 0, 0), text, SentenceVectors(spans, vectors))
    assert text[h.start:h.end] == "The CCO owns it at Sun."
    assert abs(h.score - 0.8) < 1e-2


def test_best_sentence_falls_back_to_a_question_when_nothing_else_is_there():
    text = "Is listening engaging?"
    h = best_sentence(unit(1, 0), text, SentenceVectors([(0, len(text))],
                                                        np.stack([unit(1, 0)]).astype(np.float16)))
    assert (h.start, h.end) == (0, len(text))


def test_compose_orders_by_score_drops_repeats_and_cites():
    answer = compose([(1, "Alpha  beta.", 0.5), (2, "Gamma.", 0.9), (3, "alpha beta.", 0.7),
                      (4, "Delta.", 0.6), (5, "Eps.", 0.1)])
    assert answer == Answer("Gamma. [2] alpha beta. [3] Delta. [4]", [2, 3, 4])


# --- choose: units, ranking evidence, abstention -------------------------------------------

from citegraph.search.answer import Evidence, choose, trimmed_span  # noqa: E402


def evidence(number, sentences, vectors):
    """A passage of `sentences` joined by spaces (or by what each carries), with hand vectors."""
    text, spans = "", []
    for s in sentences:
        if text and not s.startswith("\n"):
            text += " "
        start = len(text) + (len(s) - len(s.lstrip()))
        text += s
        spans.append((start, len(text)))
    return Evidence(number, text, SentenceVectors(spans, np.stack(vectors).astype(np.float16)))


def test_a_leaning_sentence_is_quoted_with_the_one_it_leans_on():
    ev = evidence(1, ["Marketing owns the launch calendar.", "It also owns the budget.",
                      "Service sees the calls."],
                  [unit(0, 1, 0), unit(1, 0, 0), unit(0, 0, 1)])
    choice = choose("Who owns the budget?", unit(1, 0, 0), [ev])
    answer = choice.answer({1: ev.text}, abstain_below=0.0)
    assert answer.text == "Marketing owns the launch calendar. It also owns the budget. [1]"
    assert answer.citations == [1] and not answer.abstained


def test_a_list_belongs_to_the_sentence_ending_in_a_colon():
    ev = evidence(1, ["Three habits sit at the core of CRM:", "\n• Remember the customer.",
                      "\n• Tell customers apart.", "\nNone of this needs a vendor."],
                  [unit(1, 0, 0), unit(0.5, 0.5, 0), unit(0.5, 0, 0.5), unit(0, 1, 0)])
    choice = choose("What habits are at the core of CRM?", unit(1, 0, 0), [ev])
    assert len(choice.units) == 1
    quote = ev.text[choice.units[0].start:choice.units[0].end]
    assert quote.startswith("Three habits") and quote.endswith("Tell customers apart.")


def test_the_sentence_stating_the_answer_wins_over_a_closer_paraphrase_of_the_question():
    # dense alone prefers the echo of the question; its content words and numbers pick the fact
    ev1 = evidence(1, ["Many firms wonder how common the chief customer officer is."],
                   [unit(1, 0.1, 0)])
    ev2 = evidence(2, ["As per Gartner, 90% of companies now have a CCO."], [unit(0.8, 0.6, 0)])
    choice = choose("What percentage of companies have a CCO according to Gartner?",
                    unit(1, 0, 0), [ev1, ev2])
    assert choice.units[0].number == 2


def test_as_many_quotes_as_are_good_without_repeats():
    ev1 = evidence(1, ["The CCO owns customer analytics at Sun."], [unit(1, 0, 0)])
    ev2 = evidence(2, ["The CCO owns customer analytics at Sun!"], [unit(1, 0, 0)])
    ev3 = evidence(3, ["Weather was fine in Paris."], [unit(0, 1, 0)])
    choice = choose("Who owns customer analytics?", unit(1, 0, 0), [ev1, ev2, ev3])
    assert [u.number for u in choice.units] == [1]


def test_nothing_close_abstains():
    ev = evidence(1, ["Marketing owns the launch calendar."], [unit(0, 1, 0)])
    choice = choose("What is the capital of France?", unit(1, 0, 0), [ev])
    answer = choice.answer({1: ev.text}, abstain_below=0.6)
    assert answer == Answer("", [], abstained=True, confidence=answer.confidence)
    assert answer.confidence < 0.6


def test_a_byline_glued_to_a_comment_is_not_quoted():
    text = "3. dariasteigman\n    November 29, 2011 at 4:42 pm\n\n    Hi Mitch, a friend sent me."
    start, end = trimmed_span(text, 0, len(text))
    assert text[start:end] == "Hi Mitch, a friend sent me."


# --- reading the question: the kind of answer asked for, neighbours, pairs ----------------

from citegraph.search.answer import asked_kinds, supplies  # noqa: E402
from citegraph.graph.analysis import analyse  # noqa: E402


def test_the_kind_of_answer_a_question_asks_for():
    assert asked_kinds("How many tackles did Kuechly register?") == {"number"}
    assert asked_kinds("What share of firms have a CCO?") == {"number"}
    assert asked_kinds("Who should own the customer feedback loop?") == {"name"}
    assert asked_kinds("Which organisation audits the accounts?") == {"name"}
    assert asked_kinds("When was the committee established?") == {"time"}
    assert asked_kinds("Why do companies create a CCO role?") == {"reason"}
    assert asked_kinds("What are the three habits at the core of CRM?") == {"list"}
    assert asked_kinds("What does a journey map show?") == set()


def test_a_sentence_supplies_a_kind_only_with_something_the_question_lacks():
    q = "How many interceptions did Josh Norman return in 2015?"
    terms = frozenset(analyse(q))
    assert supplies("number", "Norman had four interceptions, two returned.", q, terms)
    assert not supplies("number", "Norman returned interceptions in 2015.", q, terms)
    who = "Who led the committee set up by Seamans?"
    assert supplies("name", "It was headed by Nicholas Golovin.", who, frozenset(analyse(who)))
    assert not supplies("name", "The committee was set up by Seamans.", who,
                        frozenset(analyse(who)))


def test_the_sentence_after_the_match_that_names_who_is_quoted_with_it():
    # the first sentence matches the question's words; only the next one names anyone
    ev = evidence(1, ["Seamans set up an ad-hoc committee to study the lunar landing mode.",
                      "Nicholas Golovin headed it for a year.", "Budgets grew in 1962."],
                  [unit(1, 0, 0), unit(0.2, 1, 0), unit(0, 0, 1)])
    choice = choose("Who headed the committee that Seamans set up?", unit(1, 0, 0), [ev])
    quote = ev.text[choice.units[0].start:choice.units[0].end]
    assert quote.startswith("Seamans set up") and "Nicholas Golovin" in quote


def test_the_number_asked_for_wins_over_a_closer_sentence_without_one():
    ev = evidence(1, ["Most firms now have a customer officer of some kind.",
                      "A 2023 survey of firms found that 62% have a customer officer."],
                  [unit(1, 0.05, 0), unit(0.9, 0.44, 0)])
    choice = choose("What share of firms have a customer officer?", unit(1, 0, 0), [ev])
    assert "62%" in ev.text[choice.units[0].start:choice.units[0].end]


def test_two_sentences_that_answer_together_are_one_quote():
    ev = evidence(1, ["When considering computational problems, a problem instance is a "
                      "string over an alphabet.", "Usually the alphabet is binary, so the "
                      "strings are bitstrings.", "Other encodings exist."],
                  [unit(1, 0, 0), unit(0.3, 1, 0), unit(0, 0, 1)])
    choice = choose("What alphabet is usually used for a problem instance's string?",
                    unit(1, 0, 0), [ev])
    quote = ev.text[choice.units[0].start:choice.units[0].end]
    assert quote.startswith("When considering") and quote.endswith("bitstrings.")


def test_a_list_belongs_to_the_sentence_naming_its_count():
    ev = evidence(1, ["Three habits sit at the core of CRM.", "\n• Remember the customer.",
                      "\n• Tell customers apart.", "\n• Act at the right moment.",
                      "\nNone of this needs a vendor."],
                  [unit(1, 0, 0), unit(0.5, 0.5, 0), unit(0.5, 0, 0.5), unit(0.4, 0, 0.6),
                   unit(0, 1, 0)])
    choice = choose("What are the three habits at the core of CRM?", unit(1, 0, 0), [ev])
    quote = ev.text[choice.units[0].start:choice.units[0].end]
    assert quote.startswith("Three habits") and quote.endswith("Act at the right moment.")
