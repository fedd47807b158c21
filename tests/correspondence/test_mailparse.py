"""Pure parsing of .eml files: no database."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.correspondence.mailparse import (
    KIND_AUTO_REPLY,
    KIND_BOUNCE,
    KIND_NORMAL,
    mail_parse,
)

from .mails import mail_bytes

EML = Path(__file__).parent.parent / "data" / "eml"


def parse(name: str):
    return mail_parse((EML / name).read_bytes())


def test_a_mislabelled_cp1252_body_is_decoded_as_cp1252_with_a_warning():
    parsed = parse("cp1252-mislabelled.eml")
    assert "Voici l’attestation demandée – je reste disponible …" in parsed.body_text
    assert "€ Jean" in parsed.body_text
    assert any("cp1252" in w for w in parsed.warnings)


def test_an_undeclared_charset_that_is_not_utf8_falls_back_to_cp1252_with_a_warning():
    data = (
        b"From: a@example.org\r\nTo: b@mailnet.test\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xe9 cr\xe8me\r\n"
    )
    parsed = mail_parse(data)
    assert parsed.body_text.strip() == "Café crème"
    assert "body text/plain: not valid utf-8" in parsed.warnings
    assert "body text/plain: decoded as cp1252" in parsed.warnings


def test_an_unknown_charset_keeps_the_text_and_says_so():
    data = (
        b"From: a@example.org\r\nTo: b@mailnet.test\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\nBonjour\r\n"
    )
    parsed = mail_parse(data)
    assert parsed.body_text.strip() == "Bonjour"
    assert any("x-klingon" in w for w in parsed.warnings)


def test_eight_bit_headers_are_decoded_not_dropped():
    data = b"From: =?utf-8?q?J=C3=A9r=C3=B4me?= <j@example.org>\r\nTo: b@mailnet.test\r\nSubject: D\xe9m\xe9nagement\r\n\r\nx\r\n"
    parsed = mail_parse(data)
    assert parsed.subject == "Déménagement"
    assert parsed.from_name == "Jérôme"
    assert "header Subject: decoded as cp1252" in parsed.warnings


def test_rfc3834_auto_replies_are_recognised():
    assert parse("auto-reply.eml").kind == KIND_AUTO_REPLY
    for header, value in [
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "yes"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
        ("Precedence", "auto_reply"),
        ("Auto-Submitted", "auto-generated"),
    ]:
        assert mail_parse(mail_bytes(headers={header: value})).kind == KIND_AUTO_REPLY, header
    assert mail_parse(mail_bytes(headers={"Auto-Submitted": "no"})).kind == KIND_NORMAL


def test_a_delivery_status_report_is_a_bounce_naming_the_original_message():
    parsed = parse("bounce-dsn.eml")
    assert parsed.kind == KIND_BOUNCE
    assert parsed.bounced_message_ids == ["<reply-42@mailnet.test>"]
    assert {a.content_type for a in parsed.attachments} == {
        "message/delivery-status",
        "message/rfc822",
    }


def test_a_mail_from_mailer_daemon_is_a_bounce():
    assert mail_parse(mail_bytes(sender="MAILER-DAEMON@mx.example.org")).kind == KIND_BOUNCE


def test_winmail_dat_is_unpacked_into_its_files():
    parsed = parse("tnef-winmail.eml")
    assert [a.name for a in parsed.attachments] == ["AUTHORS", "README"]
    assert all(a.data for a in parsed.attachments)
    assert "winmail.dat" not in [a.name for a in parsed.attachments]


def test_an_unreadable_winmail_dat_is_kept_as_is_with_a_warning():
    data = mail_bytes().replace(b"Content-Type: text/plain", b"Content-Type: text/plain", 1)
    from email import message_from_bytes, policy

    msg = message_from_bytes(data, policy=policy.default)
    msg.add_attachment(
        b"not tnef at all", maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    parsed = mail_parse(bytes(msg))
    assert [a.name for a in parsed.attachments] == ["winmail.dat"]
    assert any("TNEF" in w for w in parsed.warnings)


def test_a_mail_without_message_id_gets_one_from_its_bytes():
    data = b"From: a@example.org\r\nTo: b@mailnet.test\r\nSubject: x\r\n\r\nx\r\n"
    first = mail_parse(data)
    assert first.message_id.endswith("@mailnet.invalid>")
    assert mail_parse(data).message_id == first.message_id
    assert mail_parse(data + b"y").message_id != first.message_id


def test_recipients_come_from_delivered_to_x_original_to_to_and_cc():
    parsed = mail_parse(
        mail_bytes(
            to="A <a@mailnet.test>, b@mailnet.test",
            headers={
                "Cc": "c@mailnet.test",
                "Delivered-To": "catchall@mailnet.test",
                "X-Original-To": "D@mailnet.test",
            },
        )
    )
    assert parsed.recipients == [
        "catchall@mailnet.test",
        "d@mailnet.test",
        "a@mailnet.test",
        "b@mailnet.test",
        "c@mailnet.test",
    ]


def test_cid_images_and_attachment_names_are_kept():
    parsed = parse("html-cid-remote.eml")
    [logo] = parsed.attachments
    assert (logo.name, logo.content_id, logo.content_type) == (
        "logo.png",
        "logo@orange.fr",
        "image/png",
    )
    assert "<script>" in parsed.body_html  # raw here: sanitised when stored


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=2000)
    | st.builds(
        lambda head, body: head + b"\r\n\r\n" + body,
        st.sampled_from(
            [
                b"Subject: =?x-unknown?q?abc?=\r\nFrom: \xff\xfe <@>",
                b"Content-Type: multipart/mixed; boundary=b\r\nFrom: a@b",
                b"Content-Type: text/plain; charset=utf-16\r\nMessage-ID: <",
                b"Content-Type: message/rfc822\r\nTo: ,,,;<<>>",
                b"Content-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64",
            ]
        ),
        st.binary(max_size=1000),
    )
)
def test_any_bytes_parse_into_text_a_database_can_store(data):
    parsed = mail_parse(data)
    texts = [
        parsed.subject,
        parsed.body_text,
        parsed.body_html,
        parsed.from_address,
        parsed.from_name,
    ]
    texts += [a.name for a in parsed.attachments] + parsed.to + parsed.cc + parsed.warnings
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates
