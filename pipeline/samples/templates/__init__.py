"""One template per document type, named by its catalog code (schemas/document_types.yaml).

A template draws its variant and content from a `Ctx` and lays the pages out with a `Composer`.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.samples.blocks import Built
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.templates.can_cuoc import t_can_cuoc
from pipeline.samples.templates.giay_chung_nhan_dang_ky_ho_kinh_doanh import t_giay_chung_nhan_dang_ky_ho_kinh_doanh
from pipeline.samples.templates.giay_chung_nhan_ket_hon import t_giay_chung_nhan_ket_hon
from pipeline.samples.templates.giay_chung_nhan_quyen_su_dung_dat import t_giay_chung_nhan_quyen_su_dung_dat
from pipeline.samples.templates.giay_khai_sinh import t_giay_khai_sinh
from pipeline.samples.templates.giay_phep_xay_dung import t_giay_phep_xay_dung
from pipeline.samples.templates.quyet_dinh import t_quyet_dinh
from pipeline.samples.templates.the_bao_hiem_y_te import t_the_bao_hiem_y_te
from pipeline.samples.templates.to_khai import t_to_khai
from pipeline.samples.templates.trich_luc_khai_tu import t_trich_luc_khai_tu
from pipeline.samples.templates.xac_nhan_cu_tru import t_xac_nhan_cu_tru
from pipeline.samples.templates.xac_nhan_tinh_trang_hon_nhan import t_xac_nhan_tinh_trang_hon_nhan

DOC_TYPES: tuple[str, ...] = (
    "giay_khai_sinh",
    "quyet_dinh",
    "to_khai",
    "xac_nhan_tinh_trang_hon_nhan",
    "giay_chung_nhan_ket_hon",
    "trich_luc_khai_tu",
    "xac_nhan_cu_tru",
    "giay_phep_xay_dung",
    "giay_chung_nhan_dang_ky_ho_kinh_doanh",
    "can_cuoc",
    "the_bao_hiem_y_te",
    "giay_chung_nhan_quyen_su_dung_dat",
)

TEMPLATES: dict[str, Callable[[Ctx, Composer, Person | None], Built]] = {
    "giay_khai_sinh": t_giay_khai_sinh,
    "quyet_dinh": t_quyet_dinh,
    "to_khai": t_to_khai,
    "xac_nhan_tinh_trang_hon_nhan": t_xac_nhan_tinh_trang_hon_nhan,
    "giay_chung_nhan_ket_hon": t_giay_chung_nhan_ket_hon,
    "trich_luc_khai_tu": t_trich_luc_khai_tu,
    "xac_nhan_cu_tru": t_xac_nhan_cu_tru,
    "giay_phep_xay_dung": t_giay_phep_xay_dung,
    "giay_chung_nhan_dang_ky_ho_kinh_doanh": t_giay_chung_nhan_dang_ky_ho_kinh_doanh,
    "can_cuoc": t_can_cuoc,
    "the_bao_hiem_y_te": t_the_bao_hiem_y_te,
    "giay_chung_nhan_quyen_su_dung_dat": t_giay_chung_nhan_quyen_su_dung_dat,
}
