"""Rewrite the parameter table in docs/ODD.md from sim/parameters.py (the test suite checks they agree).

    python docs/update_parameters.py
"""

from pathlib import Path

from sim.parameters import markdown_table

ODD = Path(__file__).resolve().parent / "ODD.md"
START, END = "<!-- parameters -->", "<!-- /parameters -->"


def main() -> None:
    text = ODD.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    ODD.write_text(f"{head}{START}\n{markdown_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
