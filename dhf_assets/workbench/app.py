"""`dhf review serve`: Starlette routes over the Workbench state; Jinja2 pages with autoescape.

Security: pages carry a per-process CSRF token that every state-changing request must echo in a
header (a cross-origin form cannot set it) and cross-origin requests are refused by their Origin;
images are looked up by face_id in the snapshot, so nothing from a request reaches a file path;
every text (ids, reasons, tags, reviewer names) is escaped by Jinja2; a strict Content-Security-
Policy allows only this server's own script, style and images.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS, PERIODS
from dhf_assets.lib.reviews.reader import parse_tags
from dhf_assets.lib.reviews.writer import ReviewEntry, append_entries
from dhf_assets.lib.runtime.settings import current_settings

from . import images
from .filters import SORT_CHOICES, STATUS_CHOICES, GridFilter
from .mural_routes import mural_routes
from .state import Workbench

HERE = Path(__file__).parent
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'"
MAX_BATCH = 5000


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store"}


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def create_app(bench: Workbench, reviewer: str | None = None, csrf_token: str | None = None,
               allowed_hosts: list[str] | None = None) -> Starlette:
    """The app; `allowed_hosts` are the Host header names it answers (loopback names by default), which
    also stops a DNS-rebinding page from reading the CSRF token."""
    token = csrf_token or secrets.token_urlsafe(32)
    page_size = max(1, current_settings().review_page_size)
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    templates.globals.update(urlencode=urlencode, IDENTITIES=IDENTITIES, ORIENTATIONS=ORIENTATIONS, PERIODS=PERIODS)

    def render(name: str, **context) -> HTMLResponse:
        context.update(csrf=token, reviewer=reviewer or "", notice=bench.notice)
        return HTMLResponse(templates.get_template(name).render(**context), headers=_headers())

    def fresh(cave_id: str | None = None) -> None:
        bench.refresh_snapshot()
        for cave in [cave_id] if cave_id else bench.snapshot.caves:
            bench.refresh_log(cave)

    def counters() -> list[dict]:
        return bench.counters()

    async def index(request: Request) -> Response:
        fresh()
        caves = bench.snapshot.caves
        if caves:
            return RedirectResponse(f"/cave/{caves[0]}", status_code=303)
        return render("empty.html", counters=[])

    async def grid(request: Request) -> Response:
        cave_id = request.path_params["cave_id"]
        fresh()
        if cave_id not in bench.snapshot.caves:
            return render("empty.html", counters=counters(), missing=cave_id)
        faces = bench.cave_faces(cave_id)  # best score first
        detectors, murals = bench.cave_choices.get(cave_id, ([], []))
        wanted = GridFilter.from_query(request.query_params, detectors, murals)
        # Status and corrected labels are looked up only when a filter needs them (20,000 faces a request).
        need_status = bool(wanted.status not in ("", "candidate", "dropped") or wanted.subset)
        need_labels = bool(wanted.identity or wanted.orientation)
        kept = []
        for face in faces:
            status = bench.status(face) if need_status else ""
            identity, orientation = bench.labels(face)[:2] if need_labels else (face.identity, face.orientation)
            if wanted.keeps(face, status, identity, orientation):
                kept.append(face)
        if wanted.sort == "face_id":
            kept.sort(key=lambda f: f.face_id)
        elif wanted.sort == "score_asc":
            kept.reverse()
        pages = max(1, -(-len(kept) // page_size))
        page = min(wanted.page, pages)
        shown = [(face, bench.status(face),
                  *bench.labels(face)[:2]) for face in kept[(page - 1) * page_size: page * page_size]]
        return render("grid.html", cave_id=cave_id, counters=counters(), filter=wanted, items=shown, total=len(kept),
                      page=page, pages=pages, detectors=detectors, murals=murals, statuses=STATUS_CHOICES,
                      sorts=SORT_CHOICES, tags=bench.tags_in_use())

    async def detail(request: Request) -> Response:
        fresh()
        face = bench.face(request.path_params["face_id"])
        if face is None:
            return HTMLResponse("no such face", status_code=404, headers=_headers())
        bench.refresh_log(face.cave_id)
        identity, orientation, identity_source, orientation_source = bench.labels(face)
        group = bench.snapshot.group_of.get(face.face_id)
        duplicates = [(bench.face(f), distance, bench.status(bench.face(f))) for f, distance in
                      bench.snapshot.duplicate_groups.get(group,
                                                          []) if f != face.face_id and bench.face(f)] if group else []
        return render("detail.html", face=face, status=bench.status(face), identity=identity, orientation=orientation,
                      duplicates=duplicates,
                      identity_source=identity_source, orientation_source=orientation_source,
                      history=bench.history(face), counters=counters(), tags=bench.tags_in_use(),
                      back=request.query_params.get("back", ""))

    def _image(kind: str):
        async def endpoint(request: Request) -> Response:
            face = bench.face(request.path_params["face_id"])
            if face is None:
                return Response("no such face", status_code=404)
            if kind == "mural":
                data = images.mural_with_box(face, bench.archive)
                return Response(data, media_type="image/jpeg") if data else Response("mural not readable",
                                                                                     status_code=404)
            path = images.thumbnail(face, bench.output) if kind == "thumb" else images.crop(face, bench.output)
            if path is None:
                return Response("crop not readable", status_code=404)
            return FileResponse(path, headers={"Cache-Control": "private, max-age=60"})
        return endpoint

    def refused(request: Request) -> str | None:
        if not secrets.compare_digest(request.headers.get("x-csrf-token", "").encode(), token.encode()):
            return "missing or wrong CSRF token"
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
            return "cross-origin request refused"
        if not request.headers.get("content-type", "").startswith("application/json"):
            return "JSON only"
        return None

    async def posted(request: Request) -> dict | Response:
        """The JSON object of a write request, or the response refusing it (403 unsafe, 400 not an object)."""
        reason = refused(request)
        if reason:
            return JSONResponse({"error": reason}, status_code=403)
        try:
            body = await request.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else JSONResponse({"error": "malformed request"}, status_code=400)

    async def decide(request: Request) -> Response:
        body = await posted(request)
        if isinstance(body, Response):
            return body
        try:
            face_ids = [str(f) for f in body.get("face_ids", [])][:MAX_BATCH + 1]
            decision = str(body.get("decision", ""))
            name = (reviewer or str(body.get("reviewer", ""))).strip()[:64]
            tags = parse_tags(";".join(str(t) for t in body.get("tags", [])))
            identity, orientation = str(body.get("identity", "") or ""), str(body.get("orientation", "") or "")
        except (ValueError, AttributeError, TypeError):
            return JSONResponse({"error": "malformed request"}, status_code=400)
        if not face_ids or len(face_ids) > MAX_BATCH:
            return JSONResponse({"error": f"between 1 and {MAX_BATCH} faces per request"}, status_code=400)
        faces = [bench.face(f) for f in face_ids]
        if any(f is None for f in faces):
            return JSONResponse({"error": "unknown face_id"}, status_code=400)
        subset = {"accept_3k": "3k", "accept_500": "500"}.get(decision, "")
        verdict = "accept" if subset else decision
        now = datetime.now(timezone.utc)
        entries = [ReviewEntry(f, verdict, name, subset=subset, tags=tags if subset == "500" else (),
                               identity=identity, orientation=orientation, reviewed_at=now) for f in face_ids]
        problems = sorted({p for e in entries for p in e.problems()})
        if problems:
            return JSONResponse({"error": "; ".join(problems)}, status_code=400)
        by_cave: dict[str, list[ReviewEntry]] = {}
        for face, entry in zip(faces, entries):
            by_cave.setdefault(face.cave_id, []).append(entry)  # type: ignore[union-attr]
        for cave_id, cave_entries in by_cave.items():
            append_entries(bench.review_path(cave_id), cave_entries)
            bench.refresh_log(cave_id)
        result = {}
        for face in faces:
            identity_now, orientation_now, _, _ = bench.labels(face)  # type: ignore[arg-type]
            result[face.face_id] = {"status": bench.status(face), "identity": identity_now or "",  # type: ignore[union-attr,arg-type]
                                    "orientation": orientation_now}
        return JSONResponse({"saved": len(entries), "faces": result}, headers={"Cache-Control": "no-store"})

    async def keep(request: Request) -> Response:
        """Keep one face of a near-duplicate group: every other member is rejected in its own cave's file."""
        body = await posted(request)
        if isinstance(body, Response):
            return body
        try:
            face = bench.face(str(body.get("face_id", "")))
            name = (reviewer or str(body.get("reviewer", ""))).strip()[:64]
        except (ValueError, AttributeError, TypeError):
            return JSONResponse({"error": "malformed request"}, status_code=400)
        group = bench.snapshot.group_of.get(face.face_id) if face else None
        if face is None or group is None:
            return JSONResponse({"error": "not a face of a near-duplicate group"}, status_code=400)
        others = [bench.face(f) for f, _ in bench.snapshot.duplicate_groups[group] if f != face.face_id]
        now = datetime.now(timezone.utc)
        by_cave: dict[str, list[ReviewEntry]] = {}
        for other in others:
            if other is not None:
                entry = ReviewEntry(other.face_id, "reject", name, tags=(f"duplicate of {face.face_id}",),
                                    reviewed_at=now)
                by_cave.setdefault(other.cave_id, []).append(entry)
        problems = sorted({p for entries in by_cave.values() for e in entries for p in e.problems()})
        if problems:
            return JSONResponse({"error": "; ".join(problems)}, status_code=400)
        for cave_id, entries in sorted(by_cave.items()):
            append_entries(bench.review_path(cave_id), entries)
            bench.refresh_log(cave_id)
        return JSONResponse({"saved": sum(map(len, by_cave.values())), "faces": {
            o.face_id: {"status": bench.status(o), "identity": bench.labels(o)[0] or "",
                        "orientation": bench.labels(o)[1]}
            for o in others if o is not None}})

    routes = [
        Route("/", index), Route("/cave/{cave_id}", grid), Route("/face/{face_id}", detail),
        Route("/img/thumb/{face_id}", _image("thumb")), Route("/img/crop/{face_id}", _image("crop")),
        Route("/img/mural/{face_id}", _image("mural")), Route("/api/decide", decide, methods=["POST"]),
        Route("/api/keep", keep, methods=["POST"]), *mural_routes(bench, render, posted, reviewer),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_NAMES)])
