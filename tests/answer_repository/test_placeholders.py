"""Placeholders: validation with name and position, escaping, visible gaps (pure)."""

from answer_repository.placeholders import (
    gaps_find,
    html_to_text,
    placeholders_check,
    placeholders_errors,
    substitute_html,
    substitute_text,
)


def test_known_placeholders_pass():
    assert placeholders_check("Bonjour {{ prenom }} {{nom}}, rendez-vous le {{ date_rdv }}.") == []


def test_unknown_placeholder_is_named_with_its_line_and_column():
    text = "Bonjour {{ prenom }},\nVotre agence : {{ agense }}."
    [problem] = placeholders_check(text)
    assert (problem.name, problem.line, problem.column) == ("agense", 2, 16)
    [message] = placeholders_errors(text)
    assert "agense" in message and "ligne 2" in message and "colonne 16" in message


def test_accented_typo_is_refused():
    assert [p.name for p in placeholders_check("{{ prénom }}")] == ["prénom"]


def test_unbalanced_braces_are_refused():
    assert [p.message for p in placeholders_check("Bonjour {{ prenom,")] == ["unbalanced"]


def test_html_rendering_escapes_the_data():
    html = substitute_html("<p>Bonjour {{ prenom }}</p>", {"prenom": "<script>alert(1)</script>"})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_text_rendering_keeps_the_data_as_written():
    assert (
        substitute_text("Bonjour {{ nom }}", {"nom": "O'Brien & fils"}) == "Bonjour O'Brien & fils"
    )


def test_missing_value_is_a_visible_gap_never_blank():
    context = {"prenom": "Léa", "date_rdv": None, "agence": "  "}
    text = substitute_text(
        "{{ prenom }} : {{ date_rdv }} à {{ agence }} ({{ conseiller }})", context
    )
    assert text == (
        "Léa : [[À COMPLÉTER : date_rdv]] à [[À COMPLÉTER : agence]] ([[À COMPLÉTER : conseiller]])"
    )
    html = substitute_html("<p>{{ date_rdv }}</p>", context)
    assert '<mark class="placeholder-gap" data-placeholder="date_rdv">' in html
    assert gaps_find(text) == ["date_rdv", "agence", "conseiller"]
    assert gaps_find(html) == ["date_rdv"]


def test_gaps_find_also_sees_raw_placeholders():
    assert gaps_find("Bonjour {{ prenom }}") == ["prenom"]
    assert gaps_find("Bonjour Léa") == []


def test_html_to_text_keeps_paragraphs_lists_and_links():
    html = (
        "<p>Bonjour,</p><ul><li>un</li><li>deux</li></ul>"
        '<p>Voir <a href="https://example.test/x">le site</a>.<br/>Merci</p>'
    )
    assert html_to_text(html) == (
        "Bonjour,\n\n- un\n- deux\n\nVoir le site (https://example.test/x).\nMerci"
    )
