// Frame-accurate review player over an all-intra H.264 proxy.
//
// Frame n of a constant-rate clip is presented from n/fps to (n+1)/fps; seeking to the middle
// of that interval, (n + 0.5)/fps, lands on frame n whatever the rounding of the media
// clock. The number shown is taken from the frame the browser actually presented
// (requestVideoFrameCallback's mediaTime), not from the requested position, so what is
// displayed and what is numbered cannot disagree. Timecodes come from the server
// (reelgraph.timecode, SMPTE ST 12-1 with drop-frame), one per frame.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const player = document.getElementById("player");
  if (!player) return;
  const $ = (id) => document.getElementById(id);
  const a = $("video-a"), b = $("video-b"), stage = $("stage");
  const frames = Number(player.dataset.frames);
  const fps = Number(player.dataset.fpsNum) / Number(player.dataset.fpsDen);
  const numberOut = $("frame-number"), timecodeOut = $("timecode"), scrub = $("scrub");
  const jumpInput = $("jump-frame"), wipe = $("wipe"), wipeLine = $("wipe-line");
  let timecodes = [];
  let current = 0; // the frame presented
  let target = 0; // where A is going: the frame last sought, or the playing frame

  const clamp = (n) => Math.min(frames - 1, Math.max(0, Math.round(n)));
  const timeOf = (n) => (n + 0.5) / fps;
  const frameAt = (seconds) => clamp(Math.floor(seconds * fps + 1e-6));

  function show(n) {
    current = n;
    numberOut.value = String(n);
    numberOut.textContent = String(n);
    timecodeOut.textContent = timecodes[n] || "";
    scrub.value = String(n);
    player.dataset.frame = String(n);
  }

  function watchPresented() {
    if (!("requestVideoFrameCallback" in a)) return;
    a.requestVideoFrameCallback((now, meta) => {
      show(clamp(Math.round(meta.mediaTime * fps)));
      if (!a.paused) target = current;
      player.dataset.presented = String(current);
      watchPresented();
    });
  }
  function watchComparison() {
    if (!("requestVideoFrameCallback" in b)) return;
    b.requestVideoFrameCallback((now, meta) => {
      player.dataset.presentedB = String(clamp(Math.round(meta.mediaTime * fps)));
      watchComparison();
    });
  }

  function seek(n) {
    n = clamp(n);
    target = n;
    a.pause();
    b.pause();
    delete player.dataset.presented;
    delete player.dataset.presentedB;
    a.currentTime = timeOf(n);
    if (!b.hidden && b.src) b.currentTime = timeOf(n);
  }

  a.addEventListener("seeked", () => {
    if (!("requestVideoFrameCallback" in a)) {
      show(frameAt(a.currentTime));
      player.dataset.presented = String(current);
    }
  });
  a.addEventListener("play", () => { $("play").textContent = "Pause"; if (!b.hidden) b.play(); });
  a.addEventListener("pause", () => { $("play").textContent = "Play"; b.pause(); });

  $("step-back").addEventListener("click", () => seek(current - 1));
  $("step-forward").addEventListener("click", () => seek(current + 1));
  $("play").addEventListener("click", () => (a.paused ? a.play() : a.pause()));
  $("jump").addEventListener("submit", (e) => { e.preventDefault(); seek(Number(jumpInput.value)); });
  scrub.addEventListener("input", () => seek(Number(scrub.value)));
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    if (e.key === "ArrowLeft") { seek(current - 1); e.preventDefault(); }
    if (e.key === "ArrowRight") { seek(current + 1); e.preventDefault(); }
    if (e.key === " ") { a.paused ? a.play() : a.pause(); e.preventDefault(); }
  });

  // QC findings on the timeline: placed at their first frame (findings starting on the
  // same frame stack in rows); a click seeks there.
  const rows = new Map();
  for (const marker of document.querySelectorAll(".marker, a.seek")) {
    if (marker.classList.contains("marker")) {
      const at = Number(marker.dataset.frame);
      const row = rows.get(at) || 0;
      rows.set(at, row + 1);
      marker.style.left = `${(100 * at) / Math.max(1, frames - 1)}%`;
      marker.style.top = `${row * 1.3}rem`;
    }
    marker.addEventListener("click", (e) => { e.preventDefault(); seek(Number(marker.dataset.frame)); });
  }

  // A/B: the source (as conformed) or the previous master, side by side or as a wipe.
  const compare = $("compare"), mode = $("compare-mode");
  function layout() {
    const which = compare.value;
    const url = which ? player.dataset[which] : "";
    b.hidden = !url;
    stage.classList.toggle("side", Boolean(url) && mode.value === "side");
    stage.classList.toggle("wipe", Boolean(url) && mode.value === "wipe");
    wipe.hidden = wipeLine.hidden = !(url && mode.value === "wipe");
    if (url && !b.src.endsWith(url)) {
      b.src = url;
      // Where A is going, not where it is: a seek made while B loads must not be undone.
      b.addEventListener("loadeddata", () => { b.currentTime = timeOf(target); }, { once: true });
    }
    clip();
  }
  function clip() {
    if (b.hidden || mode.value !== "wipe") { b.style.clipPath = ""; return; }
    const rect = a.getBoundingClientRect();
    b.style.left = `${a.offsetLeft}px`;
    b.style.width = `${rect.width}px`;
    b.style.clipPath = `inset(0 0 0 ${wipe.value}%)`;
    wipeLine.style.left = `${a.offsetLeft + (rect.width * Number(wipe.value)) / 100}px`;
  }
  compare.addEventListener("change", layout);
  mode.addEventListener("change", layout);
  wipe.addEventListener("input", clip);

  try {
    timecodes = await fetch(player.dataset.timecodes).then((r) => r.json());
  } catch (err) {
    timecodes = [];
  }
  watchPresented();
  watchComparison();
  if (a.readyState >= 1) seek(0);
  else a.addEventListener("loadedmetadata", () => seek(0), { once: true });
});
