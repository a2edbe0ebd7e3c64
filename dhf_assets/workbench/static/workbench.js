// dhf review workbench: keyboard-first deciding. Plain JavaScript, no build step.
"use strict";
(function () {
  const { say, post, needReviewer } = window.dhf;
  const grid = document.getElementById("grid");
  const detail = document.getElementById("detail");
  const cards = grid ? Array.from(grid.querySelectorAll(".card")) : [];
  const selected = new Set();
  const posKey = "dhf-cursor:" + location.pathname + location.search;
  let cursor = Math.min(Number(sessionStorage.getItem(posKey) || 0), Math.max(cards.length - 1, 0));
  let anchor = cursor;


  function undoStack() { return JSON.parse(sessionStorage.getItem("dhf-undo") || "[]"); }
  function saveUndo(stack) { sessionStorage.setItem("dhf-undo", JSON.stringify(stack.slice(-200))); }

  async function send(faceIds, decision, extra) {
    const name = needReviewer(true);
    if (!name) return null;
    const answer = await post("/api/decide", Object.assign({ face_ids: faceIds, decision: decision, reviewer: name },
                                                           extra || {}));
    if (!answer) return null;
    for (const [faceId, state] of Object.entries(answer.faces)) { show(faceId, state); }
    say("Saved " + answer.saved + " × " + decision.replace("_", " ") + ".", false);
    return answer;
  }

  function show(faceId, state) {
    const label = state.status.replace("_", " ");
    for (const card of cards) {
      if (card.dataset.face !== faceId) continue;
      card.classList.remove("undecided", "accepted", "in_500", "rejected");
      card.classList.add(state.status);
      card.querySelector(".state").textContent = label;
      card.querySelector(".identity").textContent = state.identity || "unlabelled";
      card.querySelector(".orientation").textContent = state.orientation;
    }
    if (detail && detail.dataset.face === faceId) {
      document.getElementById("state").textContent = label;
      document.getElementById("identity").textContent = state.identity || "unlabelled";
      document.getElementById("orientation").textContent = state.orientation;
    }
  }

  function targets() {
    if (detail) return [detail.dataset.face];
    if (selected.size) return cards.filter((c) => selected.has(c.dataset.face)).map((c) => c.dataset.face);
    return cards.length ? [cards[cursor].dataset.face] : [];
  }

  async function decide(decision, extra) {
    const ids = targets();
    if (!ids.length) return;
    if (!needReviewer(true)) return;
    if (grid) {  // move on at once, so that keys pressed faster than the server answers go to the next face
      const wasBulk = selected.size > 0;
      selected.clear();
      if (wasBulk) paint(); else move(1, false, false);  // never leave the page while a decision is in flight
    }
    const answer = await send(ids, decision, extra);
    if (!answer) return;
    const stack = undoStack(); stack.push(ids); saveUndo(stack);
  }

  async function undo() {
    const stack = undoStack();
    const ids = stack.pop();
    if (!ids) { say("Nothing to undo in this tab.", true); return; }
    if (await send(ids, "undo")) saveUndo(stack);
  }

  function askTags() {
    const dialog = document.getElementById("tagdialog");
    const input = document.getElementById("taginput");
    input.value = "";
    dialog.showModal();
    input.focus();
    dialog.onclose = () => {
      if (dialog.returnValue !== "ok") return;
      const tags = input.value.split(";").map((t) => t.trim()).filter(Boolean);
      if (!tags.length) { say("The 500 subset needs at least one tag.", true); return; }
      decide("accept_500", { tags: tags });
    };
  }
  for (const chip of document.querySelectorAll(".tagchip")) {
    chip.addEventListener("click", () => {
      const input = document.getElementById("taginput");
      const have = input.value.split(";").map((t) => t.trim()).filter(Boolean);
      if (!have.includes(chip.dataset.tag)) have.push(chip.dataset.tag);
      input.value = have.join("; "); input.focus();
    });
  }

  function columns() {
    if (cards.length < 2) return 1;
    const top = cards[0].offsetTop;
    const n = cards.findIndex((c) => c.offsetTop !== top);
    return n < 0 ? cards.length : n;
  }
  function paint() {
    cards.forEach((card, i) => {
      card.classList.toggle("cursor", i === cursor);
      card.classList.toggle("selected", selected.has(card.dataset.face));
    });
    const count = document.getElementById("selcount");
    if (count) count.textContent = String(selected.size);
    if (cards[cursor]) cards[cursor].scrollIntoView({ block: "nearest" });
    sessionStorage.setItem(posKey, String(cursor));
  }
  function move(step, extend, turnPage = true) {
    if (!cards.length) return;
    const turn = document.getElementById(cursor + step >= cards.length ? "next" : cursor + step < 0 ? "prev" : "");
    if (turn && turnPage && !extend && step) {  // past the last (first) card: on to the next (previous) page
      sessionStorage.setItem("dhf-cursor:" + new URL(turn.href).pathname + new URL(turn.href).search, step > 0 ? "0" : "9999");
      location.href = turn.href;
      return;
    }
    cursor = Math.max(0, Math.min(cards.length - 1, cursor + step));
    if (extend) {
      const [lo, hi] = [Math.min(anchor, cursor), Math.max(anchor, cursor)];
      for (let i = lo; i <= hi; i++) selected.add(cards[i].dataset.face);
    } else { anchor = cursor; }
    paint();
  }
  cards.forEach((card, i) => card.addEventListener("click", (event) => {
    if (event.shiftKey) { cursor = i; move(0, true); return; }
    cursor = i; anchor = i; paint();
  }));
  cards.forEach((card) => card.addEventListener("dblclick", () => openDetail(card.dataset.face)));
  function openDetail(faceId) {
    location.href = "/face/" + encodeURIComponent(faceId) + "?back=" + encodeURIComponent(grid.dataset.back);
  }

  const correctForm = document.getElementById("correct");
  if (correctForm) {
    correctForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const identity = document.getElementById("identitysel").value;
      const orientation = document.getElementById("orientationsel").value;
      if (!identity && !orientation) { say("Choose an identity or an orientation to correct.", true); return; }
      send([detail.dataset.face], "correct", { identity: identity, orientation: orientation });
    });
  }

  async function keepThis() {
    if (!detail || !document.getElementById("keepbtn")) return;
    const name = needReviewer(false);
    if (!name) return;
    const answer = await post("/api/keep", { face_id: detail.dataset.face, reviewer: name });
    if (!answer) return;
    for (const [faceId, state] of Object.entries(answer.faces)) {
      const figure = document.querySelector('.dup[data-face="' + faceId + '"]');
      if (figure) { figure.className = "dup " + state.status; figure.querySelector(".state").textContent = state.status; }
    }
    say("Kept this face; " + answer.saved + " duplicate(s) rejected in their caves' review files.", false);
  }
  const keepButton = document.getElementById("keepbtn");
  if (keepButton) keepButton.addEventListener("click", keepThis);

  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag) && event.key !== "Escape") return;
    if (document.querySelector("dialog[open]") || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    const extend = event.shiftKey;
    const actions = {
      j: () => move(1, extend), J: () => move(1, true), k: () => move(-1, extend), K: () => move(-1, true),
      ArrowRight: () => move(1, extend), ArrowLeft: () => move(-1, extend),
      ArrowDown: () => move(columns(), extend), ArrowUp: () => move(-columns(), extend),
      " ": () => {
        if (!cards.length) return;
        const id = cards[cursor].dataset.face;
        if (selected.has(id)) selected.delete(id); else selected.add(id);
        anchor = cursor; paint();
      },
      a: () => decide("accept_3k"), f: () => askTags(), x: () => decide("reject"), u: () => undo(),
      Enter: () => { if (grid && cards.length) openDetail(cards[cursor].dataset.face); },
      Escape: () => {
        if (detail) location.href = document.getElementById("backlink").href;
        else { selected.clear(); paint(); }
      },
      d: () => keepThis(),
      i: () => { const s = document.getElementById("identitysel"); if (s) s.focus(); },
      o: () => { const s = document.getElementById("orientationsel"); if (s) s.focus(); },
    };
    const action = actions[key];
    if (action) { event.preventDefault(); action(); }
  });
  if (grid) paint();
})();
