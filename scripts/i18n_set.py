"""Set zh_CN translations from a TSV file (message id <TAB> translation, one per line; ``\\n`` for a
newline inside either). Entries not yet in the catalog are added, so run ``scripts/i18n.sh`` after.

Called by ``scripts/i18n.sh --set FILE``, which holds the catalog lock.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parents[1] / "src/yingji/translations/zh_CN/LC_MESSAGES/messages.po"


def main(tsv: str) -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    count = 0
    for number, line in enumerate(Path(tsv).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if "\t" not in line:
            sys.exit(f"{tsv}:{number}: no TAB between message id and translation")
        msgid, msgstr = (part.replace("\\n", "\n") for part in line.split("\t", 1))
        message = catalog.get(msgid)
        if message is None:
            catalog.add(msgid, msgstr)
        else:
            message.string = msgstr
            message.flags.discard("fuzzy")
        count += 1
    with CATALOG.open("wb") as handle:
        write_po(handle, catalog, width=76, omit_header=False, sort_output=True)
    print(f"zh_CN: {count} translations set")  # noqa: T201 - a command-line report


if __name__ == "__main__":
    main(sys.argv[1])
