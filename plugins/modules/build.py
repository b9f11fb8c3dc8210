#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: build
short_description: Build and release a Heroku app from a source tarball
version_added: 0.2.0
description:
  - Builds the app from a gzipped source tarball Heroku downloads from O(source_url), like the
    Heroku Build API, then waits for the build and for the release it makes (release phase
    included).
  - Nothing is built when the app's current release already runs a slug built from that
    source, that is by a build with the same O(source_url) and, when given, the same
    O(checksum) and O(version). Give O(checksum) or O(version) when the URL's content can
    change, or O(force) to build anyway.
  - A failed build or release phase fails the task; the result then has the output.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  app:
    description:
      - Name or id of the app.
    type: str
    required: true
  source_url:
    description:
      - http(s) URL of the gzipped tarball of the source, for example a signed S3 URL or a
        GitHub archive URL.
    type: str
    required: true
  checksum:
    description:
      - C(SHA256:) and the SHA-256 of the tarball in hex; Heroku refuses a tarball that does
        not match.
    type: str
  version:
    description:
      - Version of the source, for example the git commit; shown in the release description.
    type: str
  buildpacks:
    description:
      - Buildpacks for this build only, in order, instead of the app's buildpacks.
      - Registry names (V(heroku/python)), C(urn:buildpack:) names, or http(s) URLs.
    type: list
    elements: str
  force:
    description:
      - Build even when the current release already runs a slug built from this source.
    type: bool
    default: false
  wait:
    description:
      - Wait for the build and its release to finish. With V(false) the task returns once
        Heroku accepted the build.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the build, then as many for the release phase, before failing.
    type: int
    default: 900
  output:
    description:
      - V(return) puts the build output in the result as RV(output); V(none) leaves it out.
      - The output of a failed build is always returned.
    type: str
    choices: [none, return]
    default: none
notes:
  - Supports check mode (no request that writes) and diff mode.
  - The output is read from the build's C(output_stream_url) without the API key; when it
    cannot be read the task still reports the build and warns.
"""

EXAMPLES = r"""
- name: Build staging from the release tarball
  herokuops.platform.build:
    app: shop-staging
    source_url: "https://artifacts.example.com/shop/{{ git_sha }}.tgz"
    version: "{{ git_sha }}"
    checksum: "SHA256:{{ tarball_sha256 }}"
    output: return
  register: built

- name: Show the build output
  ansible.builtin.debug:
    var: built.output
"""

RETURN = r"""
build:
  description: The build made, or the one behind the current release when nothing was built.
  returned: success, unless check mode would build
  type: dict
  contains:
    id:
      description: Build id.
      type: str
    status:
      description: C(succeeded), C(failed) or C(pending).
      type: str
    source_blob:
      description: The source as Heroku recorded it (url, checksum, version).
      type: dict
    slug_id:
      description: Id of the slug the build made.
      type: str
    release_id:
      description: Id of the release the build made.
      type: str
    buildpacks:
      description: Buildpacks the build ran.
      type: list
      elements: dict
    output_stream_url:
      description: Where Heroku streams the build output.
      type: str
release:
  description: The release the build made (or the current one when nothing was built).
  returned: success, unless check mode would build or O(wait=false)
  type: dict
  contains:
    version:
      description: Release version.
      type: int
    status:
      description: C(succeeded), C(failed) or C(pending).
      type: str
    id:
      description: Release id.
      type: str
    description:
      description: Release description, for example C(Deploy 0f3c2a1b).
      type: str
    slug_id:
      description: Slug the release runs.
      type: str
    current:
      description: Whether the app runs this release.
      type: bool
output:
  description: The build output (and the release phase output of a failed release).
  returned: O(output=return) and a build was made, or the build or release phase failed
  type: str
skipped_reason:
  description: Why nothing was built.
  returned: when nothing was built
  type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._builds import (
    build_body,
    build_output,
    build_summary,
    normalize_source,
    plan_build,
    read_running,
    start_build,
    wait_for_build,
)
from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    ModuleFailure,
    run_module,
)
from ansible_collections.herokuops.platform.plugins.module_utils._releases import (
    fail_release,
    release_summary,
    wait_for_release,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "source_url": {"type": "str", "required": True},
    "checksum": {"type": "str"},
    "version": {"type": "str"},
    "buildpacks": {"type": "list", "elements": "str"},
    "force": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 900},
    "output": {"type": "str", "choices": ["none", "return"], "default": "none"},
}
ARGUMENT_RULES = {}


def source_view(blob):
    return {key: blob.get(key) for key in ("url", "checksum", "version")} if blob else None


def run(task):
    params = task.params
    app = params["app"]
    source = normalize_source(params)
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout: must be 0 or more seconds.")
    client = task.client
    running = read_running(client, app)
    current, running_build = running.release, running.build
    changed, reason = plan_build(current, running_build, source)
    result = {"changed": changed}
    if task.diff_mode:
        header = f"source of {app}'s current release"
        before = source_view((running_build or {}).get("source_blob"))
        after = source_view(build_body(source)["source_blob"]) if changed else before
        result["diff"] = {
            "before": before,
            "after": after,
            "before_header": header,
            "after_header": header,
        }
    if not changed:
        result.update(
            build=build_summary(running_build),
            release=release_summary(current),
            skipped_reason=reason,
        )
        return result
    if task.check_mode:
        return result
    build = start_build(client, app, source, running)
    if not params["wait"]:
        result["build"] = build_summary(build)
        return result
    build = wait_for_build(client, app, build, params["wait_timeout"])
    result["build"] = build_summary(build)
    if build.get("status") == "failed":
        raise ModuleFailure(
            f"build {build['id']} of app {app} failed; see output for the build log.",
            build=result["build"],
            output=build_output(build, task.warn),
        )
    if params["output"] == "return":
        result["output"] = build_output(build, task.warn)
    release_id = (build.get("release") or {}).get("id")
    if release_id:
        release = client.get(api_path("apps", app, "releases", release_id))
        release = wait_for_release(client, app, release, params["wait_timeout"])
        if release.get("status") == "failed":
            fail_release(app, release, task.warn, build=result["build"])
        result["release"] = release_summary(release)
    return result


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()
