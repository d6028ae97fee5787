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

    signing_p12: Path | None = None
    """INSPECT_SIGNING_P12 (+ _PASSWORD): a PKCS#12 file whose key signs issued documents (PAdES B-B)."""
    signing_p12_password: str = ""
    signing_pkcs11_module: str = ""
    """INSPECT_SIGNING_PKCS11_MODULE (+ _TOKEN_LABEL, _KEY_LABEL, _PIN): sign on a PKCS#11 token instead."""
    signing_pkcs11_token_label: str = ""
    signing_pkcs11_key_label: str = ""
    signing_pkcs11_pin: str = ""
    signing_trust_roots: tuple[Path, ...] = ()
    """INSPECT_SIGNING_TRUST_ROOTS: root certificates (PEM or DER files, separated by ":") that make a
    signature "trusted" on /verify."""

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
        kwargs |= signing_from_env(env)
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
            # Written with 0600 so other local users cannot forge CSRF tokens. Written whole under a name of
            # its own, then linked into place: app processes starting together on a shared data folder
            # (issue 20) all end up with the one key that won, never a half-written file or a start-up error.
            tmp = key_file.with_name(f".secret_key.{secrets.token_hex(6)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, key_file)
                except FileExistsError:
                    pass  # another process's key is the key
            finally:
                tmp.unlink(missing_ok=True)
        return msgspec.structs.replace(self, secret_key=key_file.read_text().strip())


def signing_from_env(env: dict[str, str]) -> dict:
    """The signing key (a PKCS#12 file or a PKCS#11 token) and the trusted roots, as Settings fields."""
    kwargs: dict = {}
    if env.get("INSPECT_SIGNING_P12"):
        kwargs["signing_p12"] = Path(env["INSPECT_SIGNING_P12"]).resolve()
    for suffix in ("P12_PASSWORD", "PKCS11_MODULE", "PKCS11_TOKEN_LABEL", "PKCS11_KEY_LABEL", "PKCS11_PIN"):
        if env.get(f"INSPECT_SIGNING_{suffix}"):
            kwargs[f"signing_{suffix.lower()}"] = env[f"INSPECT_SIGNING_{suffix}"]
    if env.get("INSPECT_SIGNING_TRUST_ROOTS"):
        kwargs["signing_trust_roots"] = tuple(Path(p).resolve() for p in env["INSPECT_SIGNING_TRUST_ROOTS"].split(":") if p)
    return kwargs
