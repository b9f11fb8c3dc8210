"""Heroku's error responses: ``{"id": ..., "message": ..., "url": ...}``."""

DOCS_URL = "https://devcenter.heroku.com/articles/platform-api-reference"


class ApiError(Exception):
    """Raised by handlers; the server renders it the way Heroku renders its errors."""

    def __init__(self, status, error_id, message, url=DOCS_URL):
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.url = url

    def body(self):
        return {"id": self.error_id, "message": self.message, "url": self.url}


def not_found(what):
    return ApiError(404, "not_found", f"Couldn't find that {what}.")


def invalid_params(message):
    return ApiError(422, "invalid_params", message)


def conflict(message):
    return ApiError(409, "conflict", message)


def forbidden(message):
    return ApiError(403, "forbidden", message)
