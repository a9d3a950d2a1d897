"""Errors are part of the interface: each user-visible failure has a stable code and an exit code.

The CLI prints ``file: reason``; the ingest report keeps ``code``. Exit codes are documented in
README.md ("Exit codes").
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT_FAILED = 3  # one or more inputs failed and were quarantined; the rest were stored
EXIT_STORAGE = 4  # the object store or index could not be reached
EXIT_NOT_FOUND = 5  # a document id that the index does not know
EXIT_VERIFY_FINDINGS = 6  # `sohoa verify` found missing or altered objects
EXIT_INTERRUPTED = 130


class SohoaError(Exception):
    """Base of every error sohoa reports to a user."""

    code = "error"
    exit_code = EXIT_INPUT_FAILED
    #: A finer word under the same code, where one code covers several causes (SigningFailed)
    reason: str | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def why(self) -> str:
        """The stable name of this failure: the code, with the reason when there is one
        (``signing_failed.document_final``). Shells that speak to people translate it; the
        message, in English, is for logs and the command line."""
        return f"{self.code}.{self.reason}" if self.reason else self.code


class InputError(SohoaError):
    """The input file cannot be digitised; it is quarantined and the batch goes on."""

    code = "bad_input"


class EmptyFile(InputError):
    code = "empty_file"


class UnreadableFile(InputError):
    code = "unreadable_file"


class UnsupportedFileType(InputError):
    code = "unsupported_type"


class CorruptFile(InputError):
    code = "corrupt_file"


class EncryptedPdf(InputError):
    code = "encrypted_pdf"


class ImageTooLarge(InputError):
    code = "image_too_large"


class InputTooLarge(InputError):
    """The file is larger than SOHOA_MAX_INPUT_BYTES; it is refused unread."""

    code = "too_large"


class TooManyPages(InputError):
    """The document has more pages than SOHOA_MAX_PAGES; refused before any page is processed."""

    code = "too_many_pages"


class OcrFailed(InputError):
    code = "ocr_failed"


class OcrTimeout(InputError):
    code = "ocr_timeout"


class ToolMissing(SohoaError):
    """An external program (tesseract, qpdf…) is not installed."""

    code = "tool_missing"
    exit_code = 1


class StorageUnavailable(SohoaError):
    code = "storage_unavailable"
    exit_code = EXIT_STORAGE


class DocumentNotFound(SohoaError):
    code = "not_found"
    exit_code = EXIT_NOT_FOUND
