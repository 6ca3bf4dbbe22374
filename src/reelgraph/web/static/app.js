// Scenes page: follow a re-run over server-sent events until its new versions are in.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("run-progress");
  if (!panel || !panel.dataset.follow) return;
  const state = document.getElementById("run-state");
  const bar = document.getElementById("run-bar");
  const log = document.getElementById("run-log");
  let total = 0, done = 0;
  const source = new EventSource("/api/events");
  const line = (text) => {
    const item = document.createElement("li");
    item.textContent = text;
    log.prepend(item);
  };
  source.addEventListener("run_start", (e) => {
    const data = JSON.parse(e.data).data || {};
    total = Number(data.nodes || 0);
    done = 0;
    bar.hidden = false;
    bar.max = Math.max(1, total);
    bar.value = 0;
    state.textContent = "re-running…";
  });
  source.addEventListener("node_done", (e) => {
    const event = JSON.parse(e.data);
    done += 1;
    bar.value = done;
    state.textContent = `re-running: ${done}${total ? " of " + total : ""} nodes`;
    line(`${event.data.outcome} ${event.node}`);
  });
  source.addEventListener("run_done", async (e) => {
    const data = JSON.parse(e.data).data || {};
    // A run first analyses (its own run id), then renders: wait for the render's end.
    const latest = await fetch("/api/runs/latest").then((r) => (r.ok ? r.json() : null));
    if (!latest || latest.id !== data.run) return;
    state.textContent = `run ${data.run} finished (${data.status}); new versions are in the grid `;
    bar.value = bar.max;
    source.close();
    const link = document.createElement("a");
    link.href = "/";
    link.textContent = "open the shots grid";
    state.append(link);
  });
});
