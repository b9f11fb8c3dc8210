"""Connect a pipeline to a GitHub repository in the emulator.

Heroku keeps that link in its GitHub integration, outside the Platform API (the Dashboard or
`heroku pipelines:connect` make it), and refuses to enable review apps without it. The
emulator's control API stands in for it.
"""


def connect_github(heroku, pipeline, repo):
    """Connect ``pipeline`` (id or name) to GitHub repository ``repo`` (owner/name)."""
    answer = heroku.post("/__emulator/github-connections", {"pipeline": pipeline, "repo": repo})
    assert answer.status_code == 201, answer.text
    return answer.json()
