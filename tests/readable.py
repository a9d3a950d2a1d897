"""What a person may be shown: checks the tests make of messages and reasons."""


def readable_by_a_person(message: str) -> bool:
    """No Python repr, exception class or library internals in a message."""
    return not any(marker in message for marker in (
        "Traceback", "Error:", "Error(", "object at 0x", "<", "asn1crypto", "pyhanko", "[Ad"))
