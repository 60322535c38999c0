// The web inbox's only script: the inbox refreshes its rows by polling a server-rendered
// (autoescaped) fragment, and the login page moves on when the browser is already logged in
// (a link from chat or mail arrives without the SameSite=Strict cookie; a same-origin
// fetch sends it).
"use strict";

function pollRows(rows) {
  const status = document.getElementById("refreshed");
  const every = Number(rows.dataset.everyMs) || 2000;
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(rows.dataset.src, { credentials: "same-origin" });
      if (response.status === 401) {
        location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      rows.innerHTML = await response.text();
      if (status) status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
    } catch (error) {
      if (status) status.textContent = "Could not refresh (" + error.message + "); retrying.";
    }
  }
  setInterval(refresh, every);
}

async function skipLogin(form) {
  const response = await fetch("/login/check", { credentials: "same-origin" });
  if (response.status === 204) location.replace(form.dataset.next || "/");
}

document.addEventListener("DOMContentLoaded", () => {
  const rows = document.getElementById("rows");
  if (rows) pollRows(rows);
  const login = document.getElementById("login-form");
  if (login) skipLogin(login).catch(() => {});
});
