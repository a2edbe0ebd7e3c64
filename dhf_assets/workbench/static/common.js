// dhf review workbench: what every page shares (the reviewer's name, the flash line, CSRF-guarded JSON writes).
"use strict";
window.dhf = (function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const fixedReviewer = document.querySelector('meta[name="reviewer"]').content;
  const nameInput = document.getElementById("reviewer");
  const flash = document.getElementById("flash");

  if (!fixedReviewer && nameInput) {
    nameInput.value = localStorage.getItem("dhf-reviewer") || "";
    nameInput.addEventListener("change", () => localStorage.setItem("dhf-reviewer", nameInput.value.trim()));
  }
  function reviewer() { return fixedReviewer || (nameInput ? nameInput.value.trim() : ""); }
  function say(text, bad) { flash.textContent = text; flash.className = "flash" + (bad ? " bad" : " ok"); }
  // The reviewer's name, or null after asking for it (and focusing the box when `focus`).
  function needReviewer(focus) {
    if (reviewer()) return reviewer();
    say("Type your name in the reviewer box first.", true);
    if (focus && nameInput) nameInput.focus();
    return null;
  }
  // POST a JSON body with the page's CSRF token: the server's answer, or null after saying why not.
  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) });
    } catch (error) { say("Not saved: the server did not answer (" + error + ").", true); return null; }
    const answer = await response.json().catch(() => ({ error: "bad answer" }));
    if (!response.ok) { say("Not saved: " + answer.error, true); return null; }
    return answer;
  }
  return { say: say, needReviewer: needReviewer, post: post };
})();
