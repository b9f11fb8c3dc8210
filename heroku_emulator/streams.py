"""Output streams (release phase, build, logs) as the emulator serves them on its own port.

Heroku serves each from another host and as either `text/plain` or `text/event-stream`, as the
client asks. The emulator runs no command, so a stream's text is known at once; a stream of
something still running says when it ends, and the server answers once it has.
"""

EVENT_STREAM = "text/event-stream"


def text_stream(call, lines, events=False, ends_at=None, first_number=1):
    """(status, content type, body, ends_at) of `lines`: server-sent events when the client
    asks for them (or `events` says the stream only comes that way), plain text otherwise.
    `ends_at` (emulator time) says the output is not complete before then; events are
    numbered from `first_number`."""
    if events or EVENT_STREAM in (call.headers.get("Accept") or ""):
        # A client that reconnects with Last-Event-ID resumes after that event.
        seen = call.headers.get("Last-Event-ID") or ""
        after = int(seen) if seen.isdigit() else 0
        body = "".join(
            f"id: {number}\ndata: {line}\n\n"
            for number, line in enumerate(lines, first_number)
            if number > after
        )
        return 200, EVENT_STREAM, body, ends_at
    return 200, "text/plain", "".join(line + "\n" for line in lines), ends_at
