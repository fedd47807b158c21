import pytest

from mailbox_sync.uris import MailboxUriError, uri_display, uri_parse


def test_imap_uri_of_django_mailbox_is_read_with_folder_archive_and_quoted_login():
    uri = uri_parse(
        "imap+ssl://agence%40mailnet.test:p%3Ass@imap.example:1993?folder=Boite&archive=Archive"
    )
    assert (uri.kind, uri.host, uri.imap_port, uri.ssl) == ("imap", "imap.example", 1993, True)
    assert (uri.username, uri.password) == ("agence@mailnet.test", "p:ss")
    assert (uri.folder, uri.archive) == ("Boite", "Archive")


def test_imap_defaults_to_inbox_port_143_and_deleting():
    uri = uri_parse("imap://u:p@imap.example")
    assert (uri.folder, uri.archive, uri.imap_port, uri.starttls) == ("INBOX", "", 143, False)
    assert uri_parse("imap+tls://u:p@imap.example").starttls


def test_maildir_uri_archives_by_default_or_deletes_when_asked():
    assert uri_parse("maildir:///var/mail/demo").path == "/var/mail/demo"
    assert uri_parse("maildir:///var/mail/demo").archive == ".Archive"
    assert uri_parse("maildir:///var/mail/demo?delete=1").delete


@pytest.mark.parametrize(
    "uri", ["pop3://u:p@host", "mbox:///tmp/x", "maildir://relative", "imap://", ""]
)
def test_uris_our_fetchers_cannot_poll_are_refused(uri):
    with pytest.raises(MailboxUriError):
        uri_parse(uri)


def test_password_is_hidden_for_display():
    assert (
        uri_display("imap://u:secret@host:143?folder=INBOX") == "imap://u:***@host:143?folder=INBOX"
    )
    assert uri_display("maildir:///srv/mail") == "maildir:///srv/mail"


def test_a_ca_file_is_read_for_encrypted_imap_only():
    uri = uri_parse("imap+ssl://u:p@imap.example?cafile=/etc/mailnet/ca.pem")
    assert uri.cafile == "/etc/mailnet/ca.pem"
    assert uri_parse("imap+tls://u:p@imap.example?cafile=/ca.pem").cafile == "/ca.pem"
    with pytest.raises(MailboxUriError):
        uri_parse("imap://u:p@imap.example?cafile=/ca.pem")  # would not be used: say so
    with pytest.raises(MailboxUriError):
        uri_parse("imap+ssl://u:p@imap.example?cafile=ca.pem")
