"""Write the JSON Schema of every contract model to schemas/json/ (a test keeps them in sync).

    .venv/bin/python scripts/export_schemas.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from schemas.models import EXPORTED_MODELS  # noqa: E402


def rendered_schemas() -> dict[str, str]:
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
        for name, model in EXPORTED_MODELS.items()
    }


def main() -> None:
    out = REPO / "schemas" / "json"
    out.mkdir(parents=True, exist_ok=True)
    for filename, text in rendered_schemas().items():
        (out / filename).write_text(text, encoding="utf-8")
        print(out / filename)


if __name__ == "__main__":
    main()
