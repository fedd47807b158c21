"""Pure rules: the HTML allow-list and the subject/token rules of threading."""

import pytest

from backoffice.correspondence.sanitize import html_sanitise
from backoffice.correspondence.subjects import (
    TOKEN_RE,
    subject_normalise,
    subject_with_token,
    thread_token_new,
    token_from_subject,
)


def test_scripts_handlers_and_javascript_urls_are_removed():
    clean = html_sanitise(
        '<p onclick="alert(1)">Bonjour</p><script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a><a href="https://ok.example/">ok</a>',
        cid_urls={},
    )
    assert "alert" not in clean.html
    assert 'href="https://ok.example/"' in clean.html
    assert 'rel="noopener noreferrer nofollow"' in clean.html


def test_remote_images_are_blocked_and_counted_with_a_second_rendering_that_keeps_them():
    clean = html_sanitise('<img src="https://t.example/p.gif" alt="x">', cid_urls={})
    assert clean.has_remote_images
    assert "t.example" not in clean.html
    assert 'src="https://t.example/p.gif"' in clean.html_with_remote_images


def test_cid_images_point_to_our_attachment_url_and_unknown_cids_are_dropped():
    clean = html_sanitise(
        '<img src="cid:logo@x"><img src="cid:missing@x">',
        cid_urls={"logo@x": "/admin/correspondence/attachments/7/?inline=1"},
    )
    assert 'src="/admin/correspondence/attachments/7/?inline=1"' in clean.html
    assert "missing" not in clean.html
    assert not clean.has_remote_images


@pytest.mark.parametrize(
    "style",
    [
        "background:url(https://t.example/a.png)",
        "background-image: url('//t.example/a.png')",
        "width: expression(alert(1))",
        "color: red; b\\ackground: u\\rl(https://t.example/)",
    ],
)
def test_styles_that_load_or_run_anything_are_removed(style):
    clean = html_sanitise(f'<p style="{style}">x</p>', cid_urls={})
    assert "t.example" not in clean.html and "expression" not in clean.html


def test_safe_styles_are_kept():
    assert "color:red" in html_sanitise('<p style="color:red">x</p>', cid_urls={}).html.replace(
        " ", ""
    )


@pytest.mark.parametrize(
    ("subject", "normalised"),
    [
        ("Re: Rendez-vous", "rendez-vous"),
        ("RE : Rendez-vous", "rendez-vous"),
        ("TR: Fwd: AW: Rendez-vous ", "rendez-vous"),
        ("Réf : rendez-vous", "rendez-vous"),
        ("Re[2]: Rendez-vous", "rendez-vous"),
        ("Re: Rendez-vous [#ABCDEFGH]", "rendez-vous"),
        ("Rendez-vous", "rendez-vous"),
        ("Retour de formation", "retour de formation"),
    ],
)
def test_subjects_normalise_without_reply_prefixes_or_token(subject, normalised):
    assert subject_normalise(subject) == normalised


def test_the_token_is_added_once_and_found_again():
    token = thread_token_new()
    assert TOKEN_RE.fullmatch(f"[#{token}]")
    subject = subject_with_token("Votre rendez-vous", token)
    assert subject == f"Votre rendez-vous [#{token}]"
    assert subject_with_token(subject, token) == subject
    assert token_from_subject(f"RE: {subject}") == token
    assert token_from_subject("Pas de jeton [#abc]") is None
