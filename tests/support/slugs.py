"""Source tarballs with a Procfile, so tests can give an emulated app its process types.

tarball = make_source_tarball(tmp_path / "source.tgz", {"web": "gunicorn app:app"})
with serve_file(tarball) as url:            # a loopback http URL, like a real source_blob
    heroku.post("/apps/demo-app/builds", {"source_blob": {"url": url}})

release = deploy_procfile(heroku, "demo-app", {"web": "...", "worker": "..."}, tmp_path)
"""

import io
import tarfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BUILD_WAIT_STEP_SECONDS = 1.0
BUILD_WAIT_STEPS = 120


def make_source_tarball(path, procfile, folder=None, files=None):
    """Write a tar.gz at `path` with a Procfile of `procfile` ({type: command}); return it.

    `folder` puts everything in one top-level folder (as GitHub archives do); `files`
    ({name: text}) adds more files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contents = dict(files or {})
    if procfile is not None:
        contents["Procfile"] = "".join(f"{name}: {command}\n" for name, command in procfile.items())
    prefix = f"{folder}/" if folder else ""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in contents.items():
            data = text.encode()
            member = tarfile.TarInfo(prefix + name)
            member.size = len(data)
            member.mtime = int(time.time())
            archive.addfile(member, io.BytesIO(data))
    return path


@contextmanager
def serve_file(path):
    """Serve one file on a free loopback port while the block runs; yield its http URL."""
    payload = Path(path).read_bytes()
    name = Path(path).name

    class OneFile(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path.split("?", 1)[0] == f"/{name}"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(payload) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OneFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/{name}"
    finally:
        server.shutdown()
        server.server_close()


def wait_for_build(heroku, app_name, build):
    """Move the emulator's clock until the build is no longer pending; return its JSON."""
    for _ in range(BUILD_WAIT_STEPS):
        if build["status"] != "pending":
            return build
        heroku.advance(BUILD_WAIT_STEP_SECONDS)
        response = heroku.get(f"/apps/{app_name}/builds/{build['id']}")
        response.raise_for_status()
        build = response.json()
    raise AssertionError(f"build {build['id']} still pending")


def deploy_procfile(heroku, app_name, procfile, tmp_path):
    """Build a source with this Procfile on the app through the API; return the new release.

    The release may still be "pending" when the Procfile has a `release` process (release
    phase); `heroku.advance(...)` moves it on. Fails the test if the build fails.
    """
    tarball = make_source_tarball(Path(tmp_path) / f"{app_name}-source.tgz", procfile)
    response = heroku.post(
        f"/apps/{app_name}/builds", {"source_blob": {"url": tarball.resolve().as_uri()}}
    )
    assert response.status_code == 201, response.text
    build = wait_for_build(heroku, app_name, response.json())
    assert build["status"] == "succeeded", build
    release = heroku.get(f"/apps/{app_name}/releases/{build['release']['id']}")
    release.raise_for_status()
    return release.json()
