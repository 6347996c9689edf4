"""The JSON API against real databases (SQLite and PostgreSQL): what it refuses, and the
conversation it keeps — versions, comments, threads, carry-forward, approvals, ISRCs."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import PASSWORD, SONG, Env, tone
from producer.storage import Project
from producer.workflows.studio import accounts, command_line_principal

ROUTES = [
    ("GET", "/api/songs"),
    ("GET", f"/api/songs/{SONG}/versions"),
    ("GET", "/api/versions/1/audio"),
    ("GET", "/api/versions/1/peaks"),
    ("GET", "/api/versions/1/analysis"),
    ("GET", "/api/versions/1/comments"),
    ("POST", "/api/versions/1/comments"),
    ("PATCH", "/api/comments/1"),
    ("POST", "/api/versions/1/approve"),
    ("POST", f"/api/songs/{SONG}/uploads"),
    ("GET", "/api/me"),
]


def test_unauthenticated_calls_get_401(env: Env) -> None:
    env.publish()
    for method, url in ROUTES:
        body = {"start_s": 1, "body": "x"} if "comments" in url else {"resolved": True}
        r = env.client.request(method, url, json=body if method != "GET" else None)
        assert r.status_code == 401, (method, url, r.status_code, r.text)
        assert r.json() == {"error": "log in first (or use a share link)"}
        bad = env.client.request(method, url, headers={"Authorization": "Bearer nonsense"})
        assert bad.status_code == 401, (method, url)


def test_wrong_roles_get_403(env: Env) -> None:
    vid = env.publish()
    # A guest cannot approve; an artist cannot publish; a label or guest cannot upload.
    r = env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("guest"))
    assert r.status_code == 403 and "guest may not approve" in r.json()["error"]
    r = env.client.post(f"/api/songs/{SONG}/versions", json={}, headers=env.auth("artist"))
    assert r.status_code == 403 and "artist may not publish" in r.json()["error"]
    r = env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("engineer"))
    assert r.status_code == 403
    for role in ("label", "guest"):
        r = env.client.post(
            f"/api/songs/{SONG}/uploads", files={"file": ("a.wav", b"RIFF")}, headers=env.auth(role)
        )
        assert r.status_code == 403, role
    # ...while the rights they have work.
    assert (
        env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("artist")).status_code
        == 201
    )
    r = env.client.post(
        f"/api/versions/{vid}/comments",
        json={"start_s": 1.0, "body": "ok"},
        headers=env.auth("guest"),
    )
    assert r.status_code == 201


def test_traversal_in_any_path_is_404(env: Env) -> None:
    env.publish()
    h = env.auth("producer")
    for url in [
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/album.json",
        "/static/..%2f..%2falbum.json",
        "/static/%2e%2e%2f%2e%2e%2f.producer/studio.secret",
        "/static/vendor/../../web/app.py",
        "/api/versions/..%2f..%2falbum.json/audio",
        "/api/versions/%2e%2e/audio",
        "/api/songs/..%2f..%2f.producer%2fstudio.secret/versions",
        "/api/songs/%2e%2e/versions",
        "/songs/..%2f..%2falbum.json",
        "/api/uploads/..%2fmedia/audio",
    ]:
        r = env.client.get(url, headers=h)
        assert r.status_code == 404, (url, r.status_code)
        assert b"secret" not in r.content and b"format_version" not in r.content, url


def test_malformed_json_is_422(env: Env) -> None:
    vid = env.publish()
    h = {**env.auth("artist"), "Content-Type": "application/json"}
    for body in [
        b"{not json",
        b'{"start_s": "soon", "body": "x"}',
        b'{"body": "no time"}',
        b"[]",
        b'{"start_s": 1, "body": "x", "extra": 1}',
        b'{"start_s": NaN, "body": "x"}',
    ]:
        r = env.client.post(f"/api/versions/{vid}/comments", content=body, headers=h)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert set(r.json()) == {"error"}
    r = env.client.patch("/api/comments/1", content=b'{"resolved": "yes"}', headers=h)
    assert r.status_code == 422
    r = env.client.post("/api/login", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    # Out of the song: the message names the field in seconds.
    r = env.client.post(
        f"/api/versions/{vid}/comments", json={"start_s": 999, "body": "x"}, headers=h
    )
    assert r.status_code == 422 and "start_s: 999" in r.json()["error"]


def test_upload_limits_and_decoding(env: Env, tmp_path: Path) -> None:
    env.studio.max_upload_bytes = 200_000
    h = env.auth("artist")
    big = tone(tmp_path / "big.wav", 3.0, 330.0, 0.2)  # ~860 kB of 24-bit stereo
    r = env.client.post(
        f"/api/songs/{SONG}/uploads", files={"file": ("big.wav", big.read_bytes())}, headers=h
    )
    assert r.status_code == 413, r.text
    # A text file named .wav: refused by its content, not its name.
    r = env.client.post(
        f"/api/songs/{SONG}/uploads",
        files={"file": ("take.wav", b"this is not audio at all\n" * 100, "audio/wav")},
        headers=h,
    )
    assert r.status_code == 415 and "take.wav" in r.json()["error"], r.text
    r = env.client.post(
        f"/api/songs/{SONG}/uploads", content=b"x", headers={**h, "Content-Type": "text/plain"}
    )
    assert r.status_code == 422
    media_before = sorted((env.root / "media").iterdir())
    # A real reference track under the limit is imported into the media pool and measured.
    ref = tone(tmp_path / "My Reference.wav", 0.5, 440.0, 0.5)
    r = env.client.post(
        f"/api/songs/{SONG}/uploads",
        files={"file": ("../../My Reference.wav", ref.read_bytes())},
        data={"kind": "reference"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["name"] == "My Reference" and up["kind"] == "reference"
    assert -20 < up["integrated_lufs"] < 0
    assert len(sorted((env.root / "media").iterdir())) == len(media_before) + 1
    # A take lands on a new track of the song, like `producer import`.
    take = tone(tmp_path / "vox.wav", 0.5, 500.0, 0.3)
    r = env.client.post(
        f"/api/songs/{SONG}/uploads",
        files={"file": ("Lead Vox.wav", take.read_bytes())},
        data={"kind": "take"},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["track"] == "Lead Vox"
    assert Project.open(env.root).song(SONG).track("Lead Vox") is not None
    r = env.client.get(f"/api/uploads/{up['id']}/audio", headers=h)
    assert r.status_code == 200 and r.content[:4] in (b"RIFF", b"fLaC")
    assert env.client.get(f"/api/uploads/{up['id']}/peaks", headers=h).json()["peaks"]


def test_failed_logins_lock_the_account_for_a_minute(env: Env) -> None:
    email = "label@example.com"
    for _ in range(5):
        r = env.client.post("/api/login", json={"email": email, "password": "wrong password"})
        assert r.status_code == 401
    r = env.client.post("/api/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 50
    # Other accounts are not affected.
    assert (
        env.client.post(
            "/api/login", json={"email": "artist@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )
    # A minute later the right password works again (the failures are moved back in time).
    with env.studio.store._write() as s:
        from sqlalchemy import update

        from producer.storage.studio.tables import LoginFailureRow

        s.execute(update(LoginFailureRow).values(at=LoginFailureRow.at - 61))
    assert (
        env.client.post("/api/login", json={"email": email, "password": PASSWORD}).status_code
        == 200
    )


def test_cookie_sessions_need_csrf(env: Env) -> None:
    vid = env.publish()
    env.client.get("/login")
    r = env.client.post(
        "/login",
        data={"email": "artist@example.com", "password": PASSWORD, "csrf": "wrong"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    csrf = env.client.cookies.get("producer_login_csrf")  # the form came back with a new one
    r = env.client.post(
        "/login",
        data={"email": "artist@example.com", "password": PASSWORD, "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "producer_session" in r.headers["set-cookie"]
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=lax" in r.headers["set-cookie"]
    board = env.client.get("/")
    assert board.status_code == 200 and "First Light" in board.text
    token = board.text.split('name="csrf-token" content="')[1].split('"')[0]
    body = {"start_s": 2.0, "body": "from the page"}
    assert env.client.post(f"/api/versions/{vid}/comments", json=body).status_code == 403
    r = env.client.post(f"/api/versions/{vid}/comments", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


def test_share_links_expire_and_are_revoked(env: Env) -> None:
    vid = env.publish()
    me = command_line_principal()
    link = accounts.create_share(env.studio, me, SONG, "guest", "1h", allow_download=False)
    r = env.client.get(f"/s/{link.token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/songs/{SONG}"
    assert env.client.get(f"/api/versions/{vid}/comments").status_code == 200  # cookie session
    assert (
        env.client.get(f"/api/versions/{vid}/audio", headers={"Range": "bytes=0-9"}).status_code
        == 206
    )
    assert env.client.get(f"/api/versions/{vid}/audio?download=1").status_code == 403
    assert (
        env.client.post(f"/api/versions/{vid}/approve").status_code == 403
    )  # (CSRF first, anyway)
    env.client.cookies.clear()
    # Expired: the link and the sessions it gave are refused.
    old = accounts.create_share(env.studio, me, SONG, "artist", "1s")
    time.sleep(1.2)
    r = env.client.get(f"/s/{old.token}", follow_redirects=False)
    assert r.status_code == 401 and "expired" in r.text
    # Revoked: refused, and its open sessions end.
    r = env.client.get(f"/s/{link.token}", follow_redirects=False)
    assert r.status_code == 303
    accounts.revoke_share(env.studio, me, link.link.id)
    assert env.client.get(f"/api/versions/{vid}/comments").status_code == 401
    assert env.client.get(f"/s/{link.token}", follow_redirects=False).status_code == 401
    assert env.client.get("/s/not-a-link", follow_redirects=False).status_code == 401


def test_versions_comments_threads_and_carry_forward(env: Env) -> None:
    v1 = env.publish("first mix")
    c, h_eng = env.client, env.auth("engineer")
    r = c.post(
        f"/api/versions/{v1}/comments",
        json={"start_s": 12.0, "end_s": 15.5, "body": "vocal too loud"},
        headers=env.auth("artist"),
    )
    assert r.status_code == 201
    root = r.json()
    assert root["start_s"] == 12.0 and root["end_s"] == 15.5 and root["author_role"] == "artist"
    reply = c.post(
        f"/api/versions/{v1}/comments",
        json={"start_s": 12.0, "body": "will fix", "parent_id": root["id"]},
        headers=h_eng,
    ).json()
    assert reply["parent_id"] == root["id"]
    done = c.post(
        f"/api/versions/{v1}/comments",
        json={"start_s": 3.0, "body": "intro is great"},
        headers=h_eng,
    ).json()
    r = c.patch(f"/api/comments/{done['id']}", json={"resolved": True}, headers=h_eng)
    assert (
        r.status_code == 200
        and r.json()["resolved"]
        and r.json()["resolved_by"] == "engineer@example.com"
    )
    r = c.patch(f"/api/comments/{done['id']}", json={"resolved": False}, headers=h_eng)
    assert r.json()["resolved"] is False and r.json()["resolved_at"] is None
    c.patch(f"/api/comments/{done['id']}", json={"resolved": True}, headers=h_eng)
    # Version 2: the open thread (with its reply) comes along, marked with its origin.
    r = c.post(f"/api/songs/{SONG}/versions", json={"note": "vocal down 2 dB"}, headers=h_eng)
    assert r.status_code == 201
    v2 = r.json()
    assert v2["number"] == 2 and v2["note"] == "vocal down 2 dB"
    listed = c.get(f"/api/versions/{v2['id']}/comments", headers=env.auth("guest")).json()
    assert [x["body"] for x in listed] == ["vocal too loud", "will fix"]
    assert all(
        x["origin"]
        == {
            "comment_id": (root if x["parent_id"] is None else reply)["id"],
            "version_id": v1,
            "version_number": 1,
        }
        for x in listed
    )
    assert listed[1]["parent_id"] == listed[0]["id"]
    # Version 3 after v2's carried comment stays open: its origin is still v1.
    v3 = c.post(f"/api/songs/{SONG}/versions", json={}, headers=h_eng).json()
    again = c.get(f"/api/versions/{v3['id']}/comments", headers=h_eng).json()
    assert again[0]["origin"]["version_number"] == 1
    versions = c.get(f"/api/songs/{SONG}/versions", headers=h_eng).json()
    assert [v["number"] for v in versions] == [1, 2, 3]
    fields = {
        "id",
        "number",
        "render_id",
        "duration_s",
        "integrated_lufs",
        "true_peak_dbtp",
        "created_at",
        "approvals",
    }
    assert fields <= set(versions[0])
    assert versions[0]["render_id"] == versions[2]["render_id"]  # same mix: the same render reused
    board = c.get("/api/songs", headers=h_eng).json()
    assert board[0]["open_comments"] == 1 and board[0]["latest_version"]["number"] == 3


def test_audio_ranges_and_peaks(env: Env) -> None:
    vid = env.publish()
    h = env.auth("label")
    whole = env.client.get(f"/api/versions/{vid}/audio", headers=h)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    r = env.client.get(f"/api/versions/{vid}/audio", headers={**h, "Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.headers["content-range"] == f"bytes 1000-1999/{size}"
    assert r.content == whole.content[1000:2000]
    r = env.client.get(f"/api/versions/{vid}/audio", headers={**h, "Range": f"bytes={size + 10}-"})
    assert r.status_code == 416
    peaks = env.client.get(f"/api/versions/{vid}/peaks", headers=h).json()
    assert peaks["peaks_per_second"] == 20 and len(peaks["peaks"]) == 2
    assert len(peaks["peaks"][0]) == round(peaks["duration_s"] * 20)
    # The tone swells between 0.6 and 1.0 of 0.3 full scale (a little noise on top).
    assert 0.25 < max(peaks["peaks"][0]) < 0.35


def test_security_headers(env: Env) -> None:
    for url in ["/login", "/api/songs", "/static/studio.css"]:
        r = env.client.get(url)
        csp = r.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-eval" not in csp
        )
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in env.client.get("/login").text  # no inline script to allow


def test_approval_names_the_render_and_assigns_an_isrc_once(env: Env) -> None:
    from producer.workflows import project as project_wf

    project_wf.album_set(env.root, require_approval="artist,producer", isrc_prefix="gb-xyz-26")
    vid = env.publish()
    r = env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("artist"))
    assert r.status_code == 201 and r.json()["approved"] is False and r.json()["isrc"] is None
    approvals = r.json()["version"]["approvals"]
    assert [(a["role"], a["user"]) for a in approvals] == [("artist", "artist@example.com")]
    assert approvals[0]["render_id"] == r.json()["version"]["render_id"]
    r = env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("producer"))
    body = r.json()
    assert body["approved"] is True and body["isrc"] == "GBXYZ2600001"
    song = Project.open(env.root).song(SONG)
    assert song.isrc == "GBXYZ2600001" and song.approved_render_id == body["version"]["render_id"]
    # Approving again changes nothing; a second song takes the next number, and a number
    # whose song lost it (undo) is never handed out again.
    assert (
        env.client.post(f"/api/versions/{vid}/approve", headers=env.auth("producer")).json()["isrc"]
        is None
    )
    Project.open(env.root).undo()
    assert Project.open(env.root).song(SONG).isrc == ""
    project_wf.add_song(env.root, "Second Song")
    src = tone(env.root.parent / "b.wav", 2.0, 300.0, 0.3)
    project_wf.import_audio(env.root, "second-song", [src], track="Bass")
    from producer.workflows.studio import review

    v = review.publish(env.studio, command_line_principal(), "second-song")
    for role in ("artist", "producer"):
        out = env.client.post(f"/api/versions/{v.id}/approve", headers=env.auth(role)).json()
    assert out["isrc"] == "GBXYZ2600002"
    # The undone song is approved again (its render already has both roles): it gets its own
    # code back from the ledger, not a new one.
    v2 = review.publish(env.studio, command_line_principal(), SONG)
    out = env.client.post(f"/api/versions/{v2.id}/approve", headers=env.auth("artist")).json()
    assert out["approved"] and out["isrc"] == "GBXYZ2600001"
    assert Project.open(env.root).song(SONG).isrc == "GBXYZ2600001"


def test_the_comments_list_the_database_builds_is_views_comment_of_each(env: Env) -> None:
    # The list route sends the database's own JSON (SQLite's JSON1, PostgreSQL's json_agg);
    # every other route returns views.comment. Both must say the same, field by field.
    from producer.web import views

    v1 = env.publish()
    h = env.auth("artist")
    posted = []
    for start, end, body in [
        (0.0, None, "at the start"),
        (12.3456789, 14.0004, 'a range with "quotes", é, <b>tags</b> and a\nnew line'),
        (16.25, None, "résumé \\ backslash \u00a0 and an emoji 🎛"),
    ]:
        r = env.client.post(
            f"/api/versions/{v1}/comments",
            json={"start_s": start, "body": body, **({"end_s": end} if end else {})},
            headers=h,
        )
        assert r.status_code == 201, r.text
        posted.append(r.json())
    reply = env.client.post(
        f"/api/versions/{v1}/comments",
        json={"start_s": 0.0, "body": "a reply", "parent_id": posted[0]["id"]},
        headers=env.auth("engineer"),
    )
    assert reply.status_code == 201
    r = env.client.patch(
        f"/api/comments/{posted[2]['id']}", json={"resolved": True}, headers=env.auth("producer")
    )
    assert r.status_code == 200
    v2 = env.publish()  # the open threads come along, with their origin
    for vid in (v1, v2):
        listed = env.client.get(f"/api/versions/{vid}/comments", headers=h)
        assert listed.status_code == 200
        assert listed.headers["content-type"] == "application/json"
        want = [views.comment(c) for c in env.studio.store.comments(vid)]
        assert listed.json() == want
    assert (
        listed.json()[0]["origin"] is not None
        and posted[0] in env.client.get(f"/api/versions/{v1}/comments", headers=h).json()
    )


def test_a_version_has_its_analysis(env: Env) -> None:
    # The extra ear on the version's render: JSON for scripts, the report page for people,
    # kept by render id; the same rights as listening.
    vid = env.publish()
    r = env.client.get(f"/api/versions/{vid}/analysis", headers=env.auth("artist"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert {"mix", "findings"} <= set(data) and data["mix"]["integrated_lufs"] < 0
    render_id = env.client.get(f"/api/versions/{vid}", headers=env.auth("artist")).json()[
        "render_id"
    ]
    kept = env.root / ".producer" / "cache" / "analysis"
    assert sorted(p.name for p in kept.iterdir()) == [f"{render_id}.html", f"{render_id}.json"]
    page = env.client.get(f"/versions/{vid}/analysis", headers=env.auth("guest"))
    assert (
        page.status_code == 200
        and "<table" in page.text
        and "text/html" in page.headers["content-type"]
    )
    assert f"Extra ear: First Light (render {render_id[:12]})" in page.text
    assert (
        env.client.get("/api/versions/999/analysis", headers=env.auth("artist")).status_code == 404
    )
    away = env.client.get(f"/versions/{vid}/analysis", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
