"""The settings every stage is handed, read once from the environment's `Settings`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stages.assemble import AssembleSettings, ImageSettings
from pipeline.stages.classify import ClassifySettings
from pipeline.stages.extract import ExtractSettings
from pipeline.stages.mrz_band import MrzSettings
from pipeline.stages.ocr import OcrSettings
from pipeline.stages.preprocess import PreprocessSettings
from pipeline.stages.separate import SeparateSettings


@dataclass(frozen=True)
class PipelineSettings:
    preprocess: PreprocessSettings = field(default_factory=PreprocessSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    mrz: MrzSettings = field(default_factory=MrzSettings)  # the card back's zone, read by its own pass
    image: ImageSettings = field(default_factory=ImageSettings)
    assemble: AssembleSettings = field(default_factory=AssembleSettings)
    classify: ClassifySettings = field(default_factory=ClassifySettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    separate: SeparateSettings = field(default_factory=SeparateSettings)
    # Separation of a multi-page scan or a group of page files into documents (SOHOA_SEPARATION);
    # off: every input file is one document of all its pages, as before issue 13
    separation: bool = True
    # A single-sided feeder's duplex scan: all fronts, then the stack turned over, backs last sheet
    # first; the pages are interleaved before separation (SOHOA_SINGLE_SIDED_DUPLEX)
    single_sided_duplex: bool = False
    max_image_pixels: int = 200_000_000
    max_input_bytes: int = 500_000_000  # SOHOA_MAX_INPUT_BYTES
    max_pages: int = 1000  # SOHOA_MAX_PAGES
    # PDFs that arrive signed: their signatures are validated against these roots, fetching
    # OCSP/CRL only when allowed (SOHOA_TRUST_ROOTS, SOHOA_SIGNATURE_FETCHING)
    signature_trust_roots: Path | None = None
    signature_fetching: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineSettings:
        preprocess_settings = PreprocessSettings(tesseract_engine=settings.ocr_engine)
        if settings.orientation_min_confidence is not None:
            preprocess_settings = replace(
                preprocess_settings, orientation_min_confidence=settings.orientation_min_confidence
            )
        classify_settings = ClassifySettings()
        if settings.type_min_confidence is not None:
            classify_settings = replace(classify_settings, min_confidence=settings.type_min_confidence)
        return cls(
            preprocess=preprocess_settings,
            classify=classify_settings,
            ocr=OcrSettings(
                languages=settings.ocr_languages, timeout_seconds=settings.ocr_timeout_seconds,
                engine=settings.ocr_engine,
            ),
            image=ImageSettings(image_dpi=settings.image_dpi),
            assemble=AssembleSettings(),
            separate=SeparateSettings(drop_blank_pages=settings.drop_blank_pages),
            separation=settings.separation,
            single_sided_duplex=settings.single_sided_duplex,
            max_image_pixels=settings.max_image_pixels,
            max_input_bytes=settings.max_input_bytes,
            max_pages=settings.max_pages,
            signature_trust_roots=settings.trust_roots,
            signature_fetching=settings.signature_fetching,
        )
