"""GitHub App authentication: JWT → installation token, refreshed; and the token from the env."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kubesmith.errors import ConfigError
from kubesmith.tools.forges.github import AppAuth, TokenAuth, auth_from_env
from tests.tools.github.conftest import GitHubHarness

MIDNIGHT = 1798761600.0  # 2027-01-01T00:00:00Z


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_app_installation_token_is_fetched_refreshed_and_renewed_after_401(
    gh: GitHubHarness, rsa_key: rsa.RSAPrivateKey
) -> None:
    env = {"GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY": _pem(rsa_key)}
    gh.now = MIDNIGHT
    with gh.cassette("app_token") as cassette:
        client = gh.client(env=env)
        assert isinstance(client.http.auth, AppAuth)
        client.repository()
        gh.now = MIDNIGHT + 56 * 60  # the token expires at 01:00, within the 5-minute margin
        client.repository()
        client.repository()  # answered 401 once: a new token, then the answer
    assert cassette.all_played
    auths = [
        (s.method, s.path.removeprefix("/api/v3"), s.headers["authorization"]) for s in gh.sent
    ]
    jwt_calls = [a for a in auths if "/installation" in a[1]]
    assert [a[:2] for a in jwt_calls] == [
        ("GET", "/repos/acme/manifests/installation"),
        ("POST", "/app/installations/42/access_tokens"),
        ("POST", "/app/installations/42/access_tokens"),
        ("POST", "/app/installations/42/access_tokens"),
    ]
    repo_calls = [a[2] for a in auths if a[1] == "/repos/acme/manifests"]
    assert repo_calls == [
        "Bearer ghs_first_installation_token",
        "Bearer ghs_second_installation_token",
        "Bearer ghs_second_installation_token",
        "Bearer ghs_third_installation_token",
    ]
    token = jwt_calls[0][2].removeprefix("Bearer ")
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == "12345"
    assert claims["iat"] == int(MIDNIGHT) - 60
    assert claims["exp"] - int(MIDNIGHT) <= 600
    assert client.http.auth.installation_id == 42


def test_app_key_that_cannot_sign_is_a_config_error(gh: GitHubHarness) -> None:
    auth = AppAuth("12345", "not a pem key", installation_id=42)
    with pytest.raises(ConfigError, match="PEM private key"):
        auth.jwt(MIDNIGHT)


def test_environment_picks_the_app_over_the_token(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(_pem(rsa_key))
    env = {
        "GITHUB_TOKEN": "ghp_x",
        "GITHUB_APP_ID": "7",
        "GITHUB_APP_PRIVATE_KEY_PATH": str(key_file),
        "GITHUB_APP_INSTALLATION_ID": "99",
    }
    auth = auth_from_env(env, "acme/manifests")
    assert isinstance(auth, AppAuth)
    assert (auth.app_id, auth.installation_id, auth.repo) == ("7", 99, "acme/manifests")
    assert isinstance(auth_from_env({"GITHUB_TOKEN": "ghp_x"}), TokenAuth)
    assert "ghp_x" not in repr(auth_from_env({"GITHUB_TOKEN": "ghp_x"}))
    assert auth_from_env({}) is None
    with pytest.raises(ConfigError, match="private key"):
        auth_from_env({"GITHUB_APP_ID": "7"})
    with pytest.raises(ConfigError, match="not a number"):
        auth_from_env(
            {"GITHUB_APP_ID": "7", "GITHUB_APP_PRIVATE_KEY": "k", "GITHUB_APP_INSTALLATION_ID": "x"}
        )


def test_the_bot_can_name_the_installation(gh: GitHubHarness, rsa_key: rsa.RSAPrivateKey) -> None:
    env = {"GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY": _pem(rsa_key)}
    client = gh.client(env=env)
    assert isinstance(client.http.auth, AppAuth) and client.http.auth.installation_id is None
    from kubesmith.tools.forges.github import client_from_settings

    named = client_from_settings(gh.settings(), env=env, installation_id=77, **gh.options())
    assert isinstance(named.http.auth, AppAuth) and named.http.auth.installation_id == 77
