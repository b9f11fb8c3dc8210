"""A local emulator of the Heroku Platform API, used by herokuops.platform's tests and demo.

It is judged by two independent references: Heroku's published JSON hyper-schema (request
bodies are validated against it, and in strict mode so are responses) and the official
Heroku CLI, which the test suite drives against it.
"""

__version__ = "0.1.0"
