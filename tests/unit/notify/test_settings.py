"""Notify's settings: SMTP under TIKETI_SMTP_…, the rest under TIKETI_NOTIFY_…."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiketi.services.notify.settings import NotifySettings


def test_smtp_and_notify_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_SMTP_HOST", "email-smtp.ap-northeast-2.amazonaws.com")
    monkeypatch.setenv("TIKETI_SMTP_PORT", "2587")
    monkeypatch.setenv("TIKETI_SMTP_USER", "AKIA")
    monkeypatch.setenv("TIKETI_SMTP_PASSWORD", "secret")
    monkeypatch.setenv("TIKETI_SMTP_STARTTLS", "true")
    monkeypatch.setenv("TIKETI_NOTIFY_MAIL_FROM", "Tiketi <tickets@tiketi.kr>")
    monkeypatch.setenv("TIKETI_NOTIFY_MAX_ATTEMPTS", "5")
    settings = NotifySettings()
    assert settings.smtp_host == "email-smtp.ap-northeast-2.amazonaws.com"
    assert (settings.smtp_port, settings.smtp_user, settings.smtp_starttls) == (2587, "AKIA", True)
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "secret"
    assert (settings.mail_from, settings.max_attempts) == ("Tiketi <tickets@tiketi.kr>", 5)


def test_no_host_means_files_under_var_but_never_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_SMTP_HOST", "  ")
    settings = NotifySettings()
    assert settings.smtp_host is None and settings.smtp_starttls is None
    assert settings.mail_root(Path("var"), "development") == Path("var/mail")
    assert settings.mail_root(Path("var"), "test") != Path("var/mail")
    assert NotifySettings(mail_dir=Path("/srv/mail")).mail_root(Path("var"), "production") == Path(
        "/srv/mail"
    )
