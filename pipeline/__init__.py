"""sohoa: digitise Vietnamese one-stop-shop dossiers.

Data flows one way: input file -> pages -> preprocessed images -> OCR words -> searchable PDF/A
-> object store -> metadata index. Each stage is a module of this package.
"""

__version__ = "0.1.0"
