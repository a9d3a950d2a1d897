"""What the command line prints when something goes wrong."""

from __future__ import annotations


def test_a_personal_id_typed_as_a_document_id_is_not_echoed(run_sohoa):
    """GIVEN a clerk who types a citizen's 12-digit ID where a document id belongs
    WHEN `sohoa show` cannot find it
    THEN the error says so without printing the ID whole"""
    result = run_sohoa("show", "079203001234")

    assert result.returncode != 0
    assert "079203001234" not in result.stdout + result.stderr
    assert "234" in result.stderr
