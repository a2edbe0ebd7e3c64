"""`dhf`: build caves, query the tables and show the paths, over the UI's definitions and instance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.runtime.settings import Paths, export_environment


def _print_table(columns: list[str], rows: list[tuple], limit: int) -> None:
    shown = [["NULL" if v is None else str(v) for v in row] for row in rows[:limit]]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in shown:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    more = f", {limit} shown" if len(rows) > limit else ""
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})")


def cmd_sql(args: argparse.Namespace) -> int:
    from dhf_assets.lib.storage import db

    try:
        columns, rows = db.query(Paths.from_env().duckdb, args.query, timeout_s=args.timeout)
    except FileNotFoundError as exc:
        print(f"dhf sql: {exc}", file=sys.stderr)
        return 2
    except db.DatabaseBusy as exc:
        print(f"dhf sql: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # duckdb's own errors: a syntax error or a write in read-only mode
        print(f"dhf sql: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    _print_table(columns, rows, args.limit)
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    print("\n".join(Paths.from_env().as_lines()))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from dhf_assets.runner import build

    return build(args.cave or None, echo=print, jobs=args.jobs)


def cmd_check(args: argparse.Namespace) -> int:
    from dhf_assets.runner import check_caves

    return check_caves(args.cave or None, echo=print)


def cmd_sample(args: argparse.Namespace) -> int:
    from dhf_assets.lib.sample.build import build_sample_archive

    dest = Path(args.dest) if args.dest else Paths.from_env().archive
    build_sample_archive(dest)
    print(f"sample archive written to {dest}")
    return 0


def cmd_proposals_write(args: argparse.Namespace) -> int:
    from dhf_assets.lib.proposals.write_voc import write_accepted

    try:
        report = write_accepted(Paths.from_env().archive, args.cave, args.mural, merge=args.merge)
    except ValueError as exc:
        print(f"dhf proposals write: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"proposals file, {problem}: not used", file=sys.stderr)
    for outcome in report.murals:
        print(outcome.line(), file=sys.stdout if outcome.action != "refused" else sys.stderr)
    if not report.murals:
        print(f"no accepted proposal in cave {args.cave}" + (f", mural {args.mural}" if args.mural else ""))
    return 0 if report.ok else 1


def cmd_review_export(args: argparse.Namespace) -> int:
    from dhf_assets.lib.reviews.export import export_review_sheet

    paths = Paths.from_env()
    if args.format == "label-studio":
        from dhf_assets.lib.reviews.label_studio import write_export

        tasks, count = write_export(paths.duckdb, paths.output, args.cave, args.include_dropped)
        print(f"{count} Label Studio task(s): {tasks}")
        print(f"labelling interface: {tasks.parent / 'label_studio_config.xml'}; serve crops with "
              f"LOCAL_FILES_SERVING_ENABLED=true LOCAL_FILES_DOCUMENT_ROOT={paths.output}")
        return 0
    page, count = export_review_sheet(paths.duckdb, paths.output, args.cave, args.include_dropped)
    print(f"contact sheet with {count} face(s): {page}")
    print(f"pre-filled review file: {page.parent / 'review_template.csv'}")
    print("fill in decision/subset/tags/reviewer/reviewed_at, then save it as "
          f"{paths.archive / 'reviews' / (args.cave + '.csv')}")
    return 0


def cmd_review_import(args: argparse.Namespace) -> int:
    from dhf_assets.lib.reviews.label_studio import import_export

    paths = Paths.from_env()
    result = import_export(paths.duckdb, paths.archive, Path(args.file), args.reviewer)
    for problem in result.problems:
        print(f"dhf review import: {problem}", file=sys.stderr)
    for cave_id, count in result.appended.items():
        print(f"{count} decision(s) appended to {paths.archive / 'reviews' / (cave_id + '.csv')}")
    print(f"{result.skipped} task(s) skipped (no decision, or already in the review file)")
    return 1 if result.problems and not result.appended else 0


def cmd_review_serve(args: argparse.Namespace) -> int:
    from dhf_assets.workbench.serve import serve

    return serve(args.host, args.port, args.reviewer, allow_remote=args.allow_remote)


def cmd_export_select(args: argparse.Namespace) -> int:
    from dhf_assets.lib.exports.select import select_training_set

    paths = Paths.from_env()
    try:
        summary = select_training_set(
            paths.duckdb, paths.output, Path(args.out), subset=args.subset, period=args.period,
            identity=args.identity, cave_style=args.cave_style, site=args.site, tags=tuple(args.tag or ()),
            limit=args.limit,
        )
    except ValueError as exc:
        print(f"dhf export select: {exc}", file=sys.stderr)
        return 2
    print(f"{summary.images} image(s) with captions written to {summary.out_dir}")
    return 0


DEMO_QUERIES = (
    "select * from subset_sizes where scope = 'all'",
    "select * from quality_summary",
    "select * from cave_status",
)


def cmd_demo(args: argparse.Namespace) -> int:
    """Write the sample archive (if the archive is the default one), build it, say where things are."""
    from dhf_assets.lib.runtime.settings import DEFAULTS, project_dir
    from dhf_assets.lib.sample.build import build_sample_archive
    from dhf_assets.runner import build

    paths = Paths.from_env()
    if paths.archive == (project_dir() / DEFAULTS["DHF_ARCHIVE_DIR"]).resolve():
        build_sample_archive(paths.archive)
        print(f"[dhf] sample archive at {paths.archive}")
    status = build(None, echo=print)
    print("\nResults:")
    print("\n".join(f"  {line}" for line in paths.as_lines()))
    print(f"  crops under {paths.output / 'crops'}")
    print("  contact sheet of a cave's review queue: .venv/bin/dhf review export --cave <ID>")
    print("\nTry:")
    print("\n".join(f'  .venv/bin/dhf sql "{query}"' for query in DEMO_QUERIES))
    print("  make ui   # then open http://127.0.0.1:3000")
    return status


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="dhf", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="register caves and materialize them synchronously")
    build.add_argument("--cave", action="append", metavar="ID", help="a cave to build (repeatable; default all)")
    build.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="caves built at once, each in its own process with cores/N torch threads (default 1: "
                            "in this process)")
    build.set_defaults(run=cmd_build)
    check = commands.add_parser("check", help="run every data-quality check on what is materialized now")
    check.add_argument("--cave", action="append", metavar="ID", help="a cave to check (repeatable; default all)")
    check.set_defaults(run=cmd_check)
    sql = commands.add_parser("sql", help="run read-only SQL against the tables")
    sql.add_argument("query")
    sql.add_argument("--limit", type=int, default=200)
    sql.add_argument("--timeout", type=float, default=120.0, help="seconds to wait while a build writes")
    sql.set_defaults(run=cmd_sql)
    paths = commands.add_parser("paths", help="print the paths in use (name=value)")
    paths.set_defaults(run=cmd_paths)
    review = commands.add_parser("review", help="the expert review loop").add_subparsers(dest="action", required=True)
    export = review.add_parser("export", help="contact sheet + pre-filled CSV of a cave's review queue")
    export.add_argument("--cave", required=True, metavar="ID")
    export.add_argument("--include-dropped", action="store_true", help="also show dropped crops (to rescue them)")
    export.add_argument("--format", choices=("contact-sheet", "label-studio"), default="contact-sheet",
                        help="a contact sheet + CSV (default), or Label Studio tasks with the detectors' boxes")
    export.set_defaults(run=cmd_review_export)
    imported = review.add_parser("import", help="turn a Label Studio JSON export into lines of the review files")
    imported.add_argument("file", metavar="FILE")
    imported.add_argument("--reviewer", metavar="NAME",
                          help="name on every line (default: the annotator in the export)")
    imported.set_defaults(run=cmd_review_import)
    serve = review.add_parser("serve", help="the review workbench: decide candidates in the browser, by keyboard")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--reviewer", metavar="NAME", help="name written on every decision (else asked on the page)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="required to bind an address other than loopback (anyone who reaches it can decide)")
    serve.set_defaults(run=cmd_review_serve)
    proposals = commands.add_parser("proposals", help="face-box proposals").add_subparsers(dest="action", required=True)
    write = proposals.add_parser("write", help="the accepted proposals as VOC files in the archive (its one writer)")
    write.add_argument("--cave", required=True, metavar="ID")
    write.add_argument("--mural", metavar="ID", help="only this mural (default: every mural with accepted boxes)")
    write.add_argument("--merge", action="store_true",
                       help="add to an existing XML the boxes that overlap none of its own (a dot-prefixed backup is "
                       "kept)")
    write.set_defaults(run=cmd_proposals_write)
    export = commands.add_parser("export", help="dataset exports").add_subparsers(dest="action", required=True)
    select = export.add_parser("select", help="a training set by attributes, with captions from the tags")
    select.add_argument("--subset", default="500", choices=("3k", "500"))
    select.add_argument("--period", metavar="CODE")
    select.add_argument("--identity", metavar="CODE")
    select.add_argument("--cave-style", metavar="CODE")
    select.add_argument("--site", metavar="CODE")
    select.add_argument("--tag", action="append", metavar="TAG", help="required tag (repeatable)")
    select.add_argument("--limit", type=int)
    select.add_argument("--out", required=True, metavar="DIR")
    select.set_defaults(run=cmd_export_select)
    demo = commands.add_parser("demo", help="write the sample archive, build it, print what to try")
    demo.set_defaults(run=cmd_demo)
    sample = commands.add_parser("sample", help="write the bundled sample archive")
    sample.add_argument("--dest", help="folder (default: $DHF_ARCHIVE_DIR)")
    sample.set_defaults(run=cmd_sample)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    export_environment()  # once, at start: child processes (dagster, run workers) see the same settings
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
