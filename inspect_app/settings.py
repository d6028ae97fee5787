"""Settings: read once from the environment; tests build `Settings` directly."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec

# The repository root: templates/, static/ and checklists/ sit beside the package, so they are
# found whatever the working directory is.
ROOT = Path(__file__).resolve().parent.parent


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the app reads from its environment."""

    data_dir: Path
    """INSPECT_DATA_DIR: holds the SQLite file, evidence files and the generated secret key."""
    host: str = "127.0.0.1"
    """HOST: address to listen on."""
    port: int = 8000
    """PORT: port to listen on."""
    secret_key: str = ""
    """INSPECT_SECRET_KEY: signs CSRF tokens; generated once into the data folder if not given."""
    checklists_dir: Path = ROOT / "checklists"
    """INSPECT_CHECKLISTS_DIR: where the checklist TOML files live."""
    secure_cookies: bool = False
    """INSPECT_SECURE_COOKIES=1 behind HTTPS: cookies get the Secure flag and the __Host- prefix."""
    session_idle_minutes: int = 12 * 60
    """INSPECT_SESSION_IDLE_MINUTES: a session unused this long ends (a working day in the field)."""
    session_max_hours: int = 7 * 24
    """INSPECT_SESSION_MAX_HOURS: a session ends this long after login, used or not."""
    demo_password: str = "kiemtra2025"
    """INSPECT_DEMO_PASSWORD: the password `inspect-app demo` gives the demo accounts."""

    smtp_host: str = ""
    """INSPECT_SMTP_HOST: when set, `inspect-app reminders` emails the digests (also _PORT, _USER,
    _PASSWORD, _FROM, and INSPECT_SMTP_STARTTLS=1)."""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "sokiemtra@localhost"
    smtp_starttls: bool = False

    @property
    def db_path(self) -> Path:
        return self.data_dir / "inspect.sqlite3"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables, with the defaults documented above."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("INSPECT_DATA_DIR", "data")).resolve()
        kwargs: dict = {"data_dir": data_dir}
        if "HOST" in env:
            kwargs["host"] = env["HOST"]
        if "PORT" in env:
            kwargs["port"] = int(env["PORT"])
        if env.get("INSPECT_SECRET_KEY"):
            kwargs["secret_key"] = env["INSPECT_SECRET_KEY"]
        if env.get("INSPECT_CHECKLISTS_DIR"):
            kwargs["checklists_dir"] = Path(env["INSPECT_CHECKLISTS_DIR"]).resolve()
        if env.get("INSPECT_SECURE_COOKIES"):
            kwargs["secure_cookies"] = env["INSPECT_SECURE_COOKIES"] not in ("0", "false", "")
        for name, key in (
            ("INSPECT_SESSION_IDLE_MINUTES", "session_idle_minutes"),
            ("INSPECT_SESSION_MAX_HOURS", "session_max_hours"),
        ):
            if env.get(name):
                kwargs[key] = int(env[name])
        for name, key in (("INSPECT_SMTP_HOST", "smtp_host"), ("INSPECT_SMTP_USER", "smtp_user"),
                          ("INSPECT_SMTP_PASSWORD", "smtp_password"), ("INSPECT_SMTP_FROM", "smtp_from")):
            if env.get(name):
                kwargs[key] = env[name]
        if env.get("INSPECT_SMTP_PORT"):
            kwargs["smtp_port"] = int(env["INSPECT_SMTP_PORT"])
        if env.get("INSPECT_SMTP_STARTTLS"):
            kwargs["smtp_starttls"] = env["INSPECT_SMTP_STARTTLS"] not in ("0", "false", "")
        if env.get("INSPECT_DEMO_PASSWORD"):
            kwargs["demo_password"] = env["INSPECT_DEMO_PASSWORD"]
        return cls(**kwargs)

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set, generating and keeping one in the data folder."""
        if self.secret_key:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            # Written with 0600 so other local users cannot forge CSRF tokens.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return msgspec.structs.replace(self, secret_key=key_file.read_text().strip())
