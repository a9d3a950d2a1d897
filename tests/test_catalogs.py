"""The document-type and procedure catalogs are data, validated when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.samples import DOC_TYPES
from schemas.catalog import CATALOG_MODELS, DOCUMENT_TYPES_PATH, CatalogError, load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_procedure_component_is_a_known_type(catalog):
    """GIVEN the shipped catalogs
    WHEN they are loaded
    THEN every required/optional component and result of every procedure is a catalog type"""
    assert len(catalog.procedures) >= 8
    for procedure in catalog.procedures.values():
        for requirement in procedure.components:
            assert requirement.doc_type in catalog.document_types, (procedure.code, requirement.doc_type)
        assert procedure.result in catalog.document_types


def test_every_generated_type_is_in_the_catalog(catalog):
    """GIVEN the sample generator's document types
    WHEN looked up in the catalog
    THEN each has a Vietnamese title, an English gloss and at least one required field"""
    for code in DOC_TYPES:
        spec = catalog.type(code)
        assert spec.title and spec.gloss
        assert spec.required_fields, code
    assert "khac" in catalog.document_types


def test_the_procedures_the_counter_handles_are_listed(catalog):
    """GIVEN the one-stop-shop's typical procedures (DOMAIN.md)
    WHEN the procedure catalog is read
    THEN each is there with its level and the result it issues"""
    names = " | ".join(p.name.lower() for p in catalog.procedures.values())
    for needle in ("khai sinh", "khai tử", "tình trạng hôn nhân", "kết hôn", "giấy phép xây dựng",
                   "hộ kinh doanh", "chứng thực bản sao", "thường trú", "bảo hiểm y tế"):
        assert needle in names, needle
    birth = next(p for p in catalog.procedures.values() if p.name == "Đăng ký khai sinh")
    assert birth.level == "xã" and birth.result == "giay_khai_sinh"


def test_validity_rules(catalog):
    """GIVEN the marital status confirmation and the ID card
    WHEN their validity is read
    THEN the confirmation lasts 6 months from issue and the card's date is printed"""
    assert catalog.type("xac_nhan_tinh_trang_hon_nhan").validity.kind == "months_from_issue"
    assert catalog.type("xac_nhan_tinh_trang_hon_nhan").validity.months == 6
    assert catalog.type("can_cuoc").validity.kind == "printed"
    assert catalog.type("to_khai").reusable is False


def test_a_procedure_naming_an_unknown_type_is_rejected(tmp_path: Path):
    """GIVEN a procedure catalog whose component is not a document type
    WHEN loaded
    THEN loading fails saying which type is unknown"""
    bad = tmp_path / "procedures.yaml"
    bad.write_text(
        'procedures:\n  - {code: "1.000001", name: "X", gloss: "x", level: xã, required: [so_ho_khau], result: khac}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="so_ho_khau"):
        load_catalog(DOCUMENT_TYPES_PATH, bad)


def test_a_bad_validity_rule_is_rejected(tmp_path: Path):
    """GIVEN a type whose validity counts months but gives none
    WHEN loaded
    THEN loading fails"""
    bad = tmp_path / "types.yaml"
    bad.write_text('types:\n  khac: {title: "KHÁC", gloss: "other", validity: {kind: months_from_issue}}\n',
                   encoding="utf-8")
    with pytest.raises(CatalogError, match="months"):
        load_catalog(bad)


def test_catalog_models_export_json_schema():
    """GIVEN the catalog models named for export
    WHEN their JSON Schema is made
    THEN each is an object schema with properties"""
    assert {"document_type", "procedure", "field_value", "document_record", "dossier"} <= set(CATALOG_MODELS)
    for model in CATALOG_MODELS.values():
        schema = model.model_json_schema()
        assert schema["type"] == "object" and schema["properties"]
