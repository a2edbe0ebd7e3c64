// dhf review workbench, mural view: proposals over a tiled, zoomable scan; keyboard first. No build step.
"use strict";
(function () {
  const { say, post, needReviewer } = window.dhf;
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const viewer = document.getElementById("viewer");
  const tilesLayer = document.getElementById("tiles");
  const boxesLayer = document.getElementById("boxes");
  const list = document.getElementById("plist");
  const identitySel = document.getElementById("pidentity");
  const orientationSel = document.getElementById("porientation");
  const props = page.proposals;
  const tiles = new Map();
  let zoom = 1, ox = 0, oy = 0, fitZoom = 1, cursor = 0, drag = null;

  function tileUrl(level, column, row) {
    return "/tile/" + encodeURIComponent(page.cave_id) + "/" + encodeURIComponent(page.mural_id) + "/" + level + "/" + column + "/" + row + ".jpg";
  }
  function place(el, x, y, w, h) {
    el.style.left = (ox + x * zoom) + "px"; el.style.top = (oy + y * zoom) + "px";
    el.style.width = (w * zoom) + "px"; el.style.height = (h * zoom) + "px";
  }

  const overview = document.createElement("img");  // the top level, always under the sharper tiles
  overview.src = tileUrl(page.top_level, 0, 0); overview.alt = "";
  tilesLayer.appendChild(overview);

  function drawTiles() {
    const level = Math.max(0, Math.min(page.top_level, Math.floor(Math.log2(1 / zoom))));
    const scale = Math.pow(2, level), span = page.tile * scale;  // mural px per tile
    const rect = viewer.getBoundingClientRect();
    const x0 = Math.max(0, -ox / zoom), y0 = Math.max(0, -oy / zoom);
    const x1 = Math.min(page.width, (rect.width - ox) / zoom), y1 = Math.min(page.height, (rect.height - oy) / zoom);
    const wanted = new Set();
    for (let c = Math.floor(x0 / span); c * span < x1; c++) {
      for (let r = Math.floor(y0 / span); r * span < y1; r++) {
        const key = level + "/" + c + "/" + r;
        wanted.add(key);
        let img = tiles.get(key);
        if (!img) { img = document.createElement("img"); img.alt = ""; img.src = tileUrl(level, c, r); tiles.set(key, img); tilesLayer.appendChild(img); }
        place(img, c * span, r * span, Math.min(span, page.width - c * span), Math.min(span, page.height - r * span));
      }
    }
    for (const [key, img] of tiles) { if (!wanted.has(key)) { img.remove(); tiles.delete(key); } }
    place(overview, 0, 0, page.width, page.height);
  }

  function drawBoxes() {
    boxesLayer.textContent = "";
    for (const box of page.faces) {
      const el = document.createElement("div"); el.className = "fbox";
      place(el, box[0], box[1], box[2] - box[0], box[3] - box[1]); boxesLayer.appendChild(el);
    }
    props.forEach((p, i) => {
      const el = document.createElement("div");
      el.className = "pbox " + p.status + (p.decision ? " " + p.decision : "") + (i === cursor ? " cursor" : "");
      el.dataset.index = i; el.dataset.proposal = p.id; el.title = p.id;
      place(el, p.box[0], p.box[1], p.box[2] - p.box[0], p.box[3] - p.box[1]);
      for (const side of ["w", "e", "n", "s"]) {
        const edge = document.createElement("div"); edge.className = "edge edge-" + side; edge.dataset.side = side; el.appendChild(edge);
      }
      boxesLayer.appendChild(el);
    });
  }

  function drawPanel() {
    const p = props[cursor];
    document.getElementById("pnum").textContent = p ? String(cursor + 1) : "–";
    document.getElementById("pid").textContent = p ? p.id : "no proposals on this mural";
    document.getElementById("pscore").textContent = p ? p.score.toFixed(3) + " · " + p.detectors : "";
    document.getElementById("pstatus").textContent = p ? p.status + (p.reason ? " (" + p.reason + ")" : "") : "";
    document.getElementById("pdecision").textContent = p ? (p.decision || "undecided") + (p.adjusted ? ", box adjusted (not saved)" : "") : "";
    document.getElementById("pbox").textContent = p ? p.box.join(", ") : "";
    if (p) { identitySel.value = p.identity || ""; orientationSel.value = p.orientation === "Unspecified" ? "" : (p.orientation || ""); }
    list.textContent = "";
    props.forEach((q, i) => {
      const li = document.createElement("li");
      li.className = (q.decision || "undecided") + (i === cursor ? " cursor" : ""); li.dataset.index = i;
      li.textContent = q.score.toFixed(3) + " · " + (q.decision || q.status) + (q.identity ? " · " + q.identity : "");
      list.appendChild(li);
    });
    const current = list.children[cursor]; if (current) current.scrollIntoView({ block: "nearest" });
  }

  function draw() { drawTiles(); drawBoxes(); }
  function fit() {
    const rect = viewer.getBoundingClientRect();
    fitZoom = zoom = Math.min(rect.width / page.width, rect.height / page.height);
    ox = (rect.width - page.width * zoom) / 2; oy = (rect.height - page.height * zoom) / 2; draw();
  }
  function zoomAt(factor, mx, my) {
    const next = Math.max(fitZoom / 2, Math.min(4, zoom * factor));
    ox = mx - (mx - ox) * next / zoom; oy = my - (my - oy) * next / zoom; zoom = next; draw();
  }
  function centerOn(p) {
    const rect = viewer.getBoundingClientRect(), b = p.box;
    const x0 = (ox + b[0] * zoom), x1 = (ox + b[2] * zoom), y0 = (oy + b[1] * zoom), y1 = (oy + b[3] * zoom);
    const tooSmall = (b[3] - b[1]) * zoom < 60, outside = x0 < 0 || y0 < 0 || x1 > rect.width || y1 > rect.height;
    if (!tooSmall && !outside) return;
    if (tooSmall || (b[3] - b[1]) * zoom > rect.height) zoom = Math.max(fitZoom, Math.min(4, rect.height / 3 / (b[3] - b[1])));
    ox = rect.width / 2 - (b[0] + b[2]) / 2 * zoom; oy = rect.height / 2 - (b[1] + b[3]) / 2 * zoom;
  }
  function go(index) {
    if (!props.length) return;
    cursor = Math.max(0, Math.min(props.length - 1, index)); centerOn(props[cursor]); draw(); drawPanel();
  }

  async function decide(decision, moveOn) {
    const p = props[cursor];
    if (!p) return;
    const reviewer = needReviewer(true);
    if (!reviewer) return;
    const body = { cave_id: page.cave_id, proposal_id: p.id, decision: decision, box: p.box.slice(),
      identity: identitySel.value, orientation: orientationSel.value, reviewer: reviewer };
    if (moveOn && cursor < props.length - 1) go(cursor + 1);  // at once: the next key is for the next proposal
    const answer = await post("/api/proposals/decide", body);
    if (!answer) return;
    Object.assign(p, answer.proposal, { adjusted: false });
    say("Saved: " + decision + " " + p.id + " (" + p.box.join(", ") + ").", false);
    drawBoxes(); drawPanel();
  }

  async function writeBack() {
    const merge = document.getElementById("merge").checked;
    const answer = await post("/api/proposals/write", { cave_id: page.cave_id, mural_id: page.mural_id, merge: merge });
    if (!answer) return;
    document.getElementById("writeresult").textContent = answer.lines.concat(answer.problems).join("\n");
    if (answer.ok && answer.lines.some((l) => / (written|merged)/.test(l))) document.getElementById("xmlstate").textContent = "yes";
    say(answer.ok ? "Written to the archive; the next build reads it." : "Not written: see below.", !answer.ok);
  }

  viewer.addEventListener("mousedown", (event) => {
    const boxEl = event.target.closest(".pbox");
    if (boxEl) { const i = Number(boxEl.dataset.index); if (i !== cursor) { cursor = i; drawPanel(); } }
    if (event.target.classList.contains("edge") && boxEl) {
      drag = { kind: "edge", side: event.target.dataset.side, x: event.clientX, y: event.clientY, box: props[cursor].box.slice() };
    } else {
      drag = { kind: "pan", x: event.clientX, y: event.clientY, ox: ox, oy: oy };
    }
    event.preventDefault(); drawBoxes();
  });
  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    if (drag.kind === "pan") { ox = drag.ox + event.clientX - drag.x; oy = drag.oy + event.clientY - drag.y; draw(); return; }
    const p = props[cursor], b = drag.box.slice(), dx = (event.clientX - drag.x) / zoom, dy = (event.clientY - drag.y) / zoom;
    if (drag.side === "w") b[0] = Math.max(0, Math.min(b[2] - 4, Math.round(b[0] + dx)));
    if (drag.side === "e") b[2] = Math.min(page.width, Math.max(b[0] + 4, Math.round(b[2] + dx)));
    if (drag.side === "n") b[1] = Math.max(0, Math.min(b[3] - 4, Math.round(b[1] + dy)));
    if (drag.side === "s") b[3] = Math.min(page.height, Math.max(b[1] + 4, Math.round(b[3] + dy)));
    p.box = b; drag.moved = true; drawBoxes();
  });
  window.addEventListener("mouseup", () => {
    const done = drag; drag = null;
    if (!done || done.kind !== "edge" || !done.moved) return;
    const p = props[cursor];
    if (p.decision === "accept") { decide("accept", false); return; }  // an accepted box is saved as adjusted
    p.adjusted = true; drawPanel(); say("Box adjusted: press a to accept it.", false);
  });
  viewer.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = viewer.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
  }, { passive: false });
  list.addEventListener("click", (event) => { const li = event.target.closest("li"); if (li) go(Number(li.dataset.index)); });
  for (const sel of [identitySel, orientationSel]) {
    sel.addEventListener("change", () => { const p = props[cursor]; if (p && p.decision === "accept") decide("accept", false); });
  }
  document.getElementById("acceptbtn").addEventListener("click", () => decide("accept", true));
  document.getElementById("rejectbtn").addEventListener("click", () => decide("reject", true));
  document.getElementById("writebtn").addEventListener("click", writeBack);
  window.addEventListener("resize", fit);

  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (event.key === "Escape" && ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag)) { event.target.blur(); return; }
    if (["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    const rect = viewer.getBoundingClientRect(), p = props[cursor];
    const mx = p ? ox + (p.box[0] + p.box[2]) / 2 * zoom : rect.width / 2, my = p ? oy + (p.box[1] + p.box[3]) / 2 * zoom : rect.height / 2;
    const actions = {
      j: () => go(cursor + 1), k: () => go(cursor - 1), ArrowRight: () => go(cursor + 1), ArrowDown: () => go(cursor + 1),
      ArrowLeft: () => go(cursor - 1), ArrowUp: () => go(cursor - 1),
      a: () => decide("accept", true), x: () => decide("reject", true), w: () => writeBack(),
      i: () => identitySel.focus(), o: () => orientationSel.focus(), "0": () => fit(),
      "+": () => zoomAt(1.5, mx, my), "=": () => zoomAt(1.5, mx, my), "-": () => zoomAt(1 / 1.5, mx, my),  // about the current box
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  fit(); drawPanel();
})();
