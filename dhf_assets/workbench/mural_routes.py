"""The mural view: a cave's murals, one mural's proposals over its zoomable scan, decisions, write-back.

A mural and a proposal are looked up by their ids in what DuckDB lists (`murals`, `face_proposals`);
tiles come from the pyramid cache, addressed by integers: nothing from a request reaches a file path.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from dhf_assets.lib.proposals.decisions import ProposalDecision, append_decisions, proposals_file
from dhf_assets.lib.proposals.write_voc import write_accepted
from dhf_assets.lib.reviews.reader import canonical_orientation

from . import pyramid
from .proposal_store import ProposalStore
from .state import Workbench


def _state(proposal, decision: ProposalDecision | None) -> dict:
    return {"id": proposal.proposal_id, "box": list(decision.box if decision else proposal.box),
            "proposed": list(proposal.box), "score": round(proposal.score, 4), "detectors": proposal.detectors,
            "status": proposal.status, "reason": proposal.reason, "decision": decision.decision if decision else "",
            "identity": decision.identity if decision else "", "orientation": decision.orientation if decision else ""}


Posted = Callable[[Request], Awaitable["dict | Response"]]  # the JSON object of a write request, or its refusal


def mural_routes(bench: Workbench, render: Callable[..., Response], posted: Posted,
                 reviewer: str | None) -> list[Route]:
    store = ProposalStore(bench.database, bench.archive)

    async def murals(request: Request) -> Response:
        data = store.refresh()
        caves = sorted({cave for cave, _ in data.scans})
        cave_id = request.path_params.get("cave_id") or (caves[0] if caves else "")
        if cave_id not in caves:  # only a cave the tables list names a file
            return render("empty.html", counters=bench.counters(), missing=cave_id)
        latest, problems = store.decisions(cave_id)
        rows = []
        for (cave, mural_id), scan in sorted(data.scans.items()):
            if cave != cave_id:
                continue
            listed = data.proposals.get((cave, mural_id), [])
            decided = [latest.get(p.proposal_id) for p in listed]
            rows.append({"mural_id": mural_id, "size": f"{scan.width}×{scan.height}",
                         "annotated": data.annotated.get((cave, mural_id), False),
                         "open": sum(p.status == "open" for p in listed), "all": len(listed),
                         "accepted": sum(bool(d and d.decision == "accept") for d in decided),
                         "rejected": sum(bool(d and d.decision == "reject") for d in decided)})
        return render("murals.html", cave_id=cave_id, caves=caves, rows=rows, problems=problems,
                      counters=bench.counters(),
                      tags=[], store_notice=store.notice)

    async def mural(request: Request) -> Response:
        cave_id, mural_id = request.path_params["cave_id"], request.path_params["mural_id"]
        data = store.refresh()
        scan = data.scans.get((cave_id, mural_id))
        if scan is None:
            return render("empty.html", counters=bench.counters(), missing=f"{cave_id}/{mural_id}")
        latest, problems = store.decisions(cave_id)
        bench.refresh_snapshot()
        faces = [list(f.box) for f in bench.snapshot.faces.values() if (f.cave_id, f.mural_id) == (cave_id, mural_id)]
        page = {"cave_id": cave_id, "mural_id": mural_id, "width": scan.width, "height": scan.height,
                "top_level": scan.top_level, "tile": pyramid.TILE, "faces": faces,
                "proposals": [_state(p, latest.get(p.proposal_id)) for p in data.proposals.get((cave_id, mural_id),
                                                                                               [])]}
        return render("mural.html", cave_id=cave_id, mural_id=mural_id, scan=scan, page=page, problems=problems,
                      annotated=data.annotated.get((cave_id, mural_id), False), counters=bench.counters(), tags=[],
                      store_notice=store.notice)

    async def tile(request: Request) -> Response:
        params = request.path_params
        scan = store.refresh().scans.get((params["cave_id"], params["mural_id"]))
        if scan is None:
            return Response("no such mural", status_code=404)
        try:
            path = await run_in_threadpool(pyramid.tile, scan, bench.output / "workbench", params["level"],
                                           params["column"], params["row"])
        except (OSError, ValueError) as exc:
            return Response(f"scan not readable ({type(exc).__name__})", status_code=404)
        if path is None:
            return Response("no such tile", status_code=404)
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    async def decide(request: Request) -> Response:
        body = await posted(request)
        if isinstance(body, Response):
            return body
        try:
            cave_id, proposal_id = str(body["cave_id"]), str(body["proposal_id"])
            box = tuple(int(v) for v in body["box"])
            decision, name = str(body.get("decision", "")), (reviewer or str(body.get("reviewer", ""))).strip()[:64]
            identity, orientation = str(body.get("identity") or ""), str(body.get("orientation") or "")
        except (ValueError, KeyError, TypeError, AttributeError):
            return JSONResponse({"error": "malformed request"}, status_code=400)
        data = store.refresh()
        proposal = data.by_id.get((cave_id, proposal_id))
        if proposal is None or len(box) != 4:
            return JSONResponse({"error": "unknown proposal or not a box"}, status_code=400)
        scan = data.scans.get((cave_id, proposal.mural_id))
        if scan is None or box[2] > scan.width or box[3] > scan.height:
            return JSONResponse({"error": "the box leaves the scan"}, status_code=400)
        entry = ProposalDecision(proposal_id, proposal.mural_id, decision, box, name,  # type: ignore[arg-type]
                                 identity, canonical_orientation(orientation) or orientation,
                                 datetime.now(timezone.utc))
        problems = entry.problems()
        if problems:
            return JSONResponse({"error": "; ".join(problems)}, status_code=400)
        append_decisions(proposals_file(bench.archive, cave_id), [entry])
        return JSONResponse({"saved": 1, "proposal": _state(proposal, entry)})

    async def write(request: Request) -> Response:
        body = await posted(request)
        if isinstance(body, Response):
            return body
        try:
            key, merge = (str(body["cave_id"]), str(body["mural_id"])), bool(body.get("merge", False))
        except (ValueError, KeyError, TypeError, AttributeError):
            return JSONResponse({"error": "malformed request"}, status_code=400)
        if key not in store.refresh().scans:
            return JSONResponse({"error": "no such mural"}, status_code=400)
        report = await run_in_threadpool(write_accepted, bench.archive, key[0], key[1], merge)
        lines = [m.line() for m in report.murals] or ["no accepted proposal on this mural"]
        return JSONResponse({"ok": report.ok, "lines": lines, "problems": report.problems})

    return [
        Route("/murals", murals),
        Route("/cave/{cave_id}/murals", murals),
        Route("/mural/{cave_id}/{mural_id}", mural),
        Route("/tile/{cave_id}/{mural_id}/{level:int}/{column:int}/{row:int}.jpg", tile),
        Route("/api/proposals/decide", decide, methods=["POST"]),
        Route("/api/proposals/write", write, methods=["POST"]),
    ]
