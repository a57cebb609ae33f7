// framelens page: paste an article, POST it to /v1/analyze, show every sentence marked by
// frame (colour + underline style) and stance (a glyph), with the probabilities in a
// tooltip on hover and on keyboard focus. No framework, no build step, nothing fetched
// from elsewhere; text from the server is only ever set with textContent.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_FRAME_CLASSES = 7;
  const MAX_STANCE_CLASSES = 5;
  // Known labels keep fixed colours/glyphs whatever order a model declares them in.
  const FRAME_SLOTS = { humanitarian: 0, counter_terrorism: 1, neutral: 2 };
  const STANCE_SLOTS = { supportive: 0, critical: 1, neutral: 2 };
  const STANCE_GLYPHS = { supportive: "+", critical: "\u2212", neutral: "\u25cb" };
  const SAMPLE = [
    "Aid convoys stuck as fighting closes in on Tamar",
    "",
    "KARDAN (Wire) - Shelling killed eleven residents of the Tamar district overnight, " +
      "medics said, and aid agencies warned that food stocks would run out within days.",
    "",
    "The defence ministry said its aircraft had destroyed an extremist weapons depot and " +
      "that operations against the militants would continue until the area was secure.",
    "",
    "\"Children are sleeping in the open and we cannot reach them,\" a relief coordinator " +
      "said, calling for a humanitarian pause.",
    "",
    "Talks between the two sides are due to resume in Geneva next week.",
  ].join("\n");

  const state = { info: null, analysis: null, text: "", frameTask: null, stanceTask: null };

  // -- talking to the server -----------------------------------------------------------------
  function headers(json) {
    const h = { Accept: "application/json" };
    if (json) h["Content-Type"] = "application/json";
    const token = $("token").value.trim();
    if (token) h.Authorization = "Bearer " + token;
    return h;
  }

  async function call(path, body) {
    const init = body === undefined ? { headers: headers(false) }
      : { method: "POST", headers: headers(true), body: JSON.stringify(body) };
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new Error("the server cannot be reached (" + err.message + ")");
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const message = data && data.error ? data.error.message : response.statusText;
      const error = new Error(message + " (HTTP " + response.status + ")");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function loadInfo() {
    try {
      state.info = await call("/v1/info");
    } catch (err) {
      if (err.status === 401) {
        $("model-info").textContent = "This server needs an API token: enter it below.";
        $("token-box").open = true;
      } else {
        $("model-info").textContent = "Model description unavailable: " + err.message;
      }
      return false;
    }
    const info = state.info;
    state.frameTask = info.tasks.includes("frame") ? "frame" : info.tasks[0];
    const others = info.tasks.filter((t) => t !== state.frameTask);
    state.stanceTask = info.tasks.includes("stance") ? "stance" : (others[0] || null);
    const parts = info.tasks.map((t) => {
      const m = info.models[t] || {};
      return t + (m.base_model ? " (" + shortName(m.base_model) + ")" : "");
    });
    $("model-info").textContent = "Model: " + parts.join(", ") + " · framelens " +
      info.framelens_version;
    return true;
  }

  function shortName(path) {
    const bits = String(path).split(/[\\/]/).filter(Boolean);
    return bits.length ? bits[bits.length - 1] : String(path);
  }

  // -- colours and marks -----------------------------------------------------------------------
  function slot(task, label) {
    const labels = state.info.labels[task];
    const known = task === state.frameTask ? FRAME_SLOTS : STANCE_SLOTS;
    const max = task === state.frameTask ? MAX_FRAME_CLASSES : MAX_STANCE_CLASSES;
    if (labels.length <= 3 && known[label] !== undefined) return known[label];
    return labels.indexOf(label) % max;
  }
  function swatchClass(task, label) {
    return (task === state.frameTask ? "fc-" : "sc-") + slot(task, label);
  }
  function glyph(label) {
    return STANCE_GLYPHS[label] || label.charAt(0).toUpperCase();
  }
  function pretty(label) { return String(label).replace(/_/g, " "); }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  // -- rendering -----------------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderSummary(analysis) {
    const box = $("summary");
    box.replaceChildren();
    const count = el("p", "", analysis.summary.sentences + " sentences");
    box.appendChild(count);
    for (const task of state.info.tasks) {
      const shares = analysis.summary.shares[task] || {};
      const section = el("div", "task-summary");
      const title = el("h3", "", pretty(task) + " ");
      const dominant = analysis.summary.dominant[task];
      if (dominant) title.appendChild(el("span", "dominant", "mostly " + pretty(dominant)));
      section.appendChild(title);
      const bar = el("div", "bar");
      bar.setAttribute("role", "img");
      const words = [];
      const list = el("ul", "shares");
      for (const label of state.info.labels[task]) {
        const share = shares[label] || 0;
        words.push(pretty(label) + " " + pct(share));
        if (share > 0) {
          const part = el("span", swatchClass(task, label));
          part.style.width = (100 * share) + "%";
          part.title = pretty(label) + ": " + pct(share);
          bar.appendChild(part);
        }
        const item = el("li");
        item.appendChild(el("span", "swatch " + swatchClass(task, label)));
        item.appendChild(document.createTextNode(
          (task === state.stanceTask ? glyph(label) + " " : "") + pretty(label) + " " + pct(share)));
        list.appendChild(item);
      }
      bar.setAttribute("aria-label", pretty(task) + " shares: " + words.join(", "));
      section.appendChild(bar);
      section.appendChild(list);
      box.appendChild(section);
    }
  }

  // Caveats the module attaches (text cut at the model's length, a non-English script).
  function renderNotes(analysis) {
    const box = $("notes");
    box.replaceChildren();
    for (const note of analysis.notes || []) box.appendChild(el("li", "", note));
    box.hidden = !box.children.length;
  }

  function renderLegend() {
    const box = $("legend");
    box.replaceChildren();
    const frame = el("div", "group");
    frame.appendChild(el("span", "group-title", "Highlight = " + pretty(state.frameTask) + ":"));
    for (const label of state.info.labels[state.frameTask]) {
      const item = el("span");
      const sample = el("span", "sent f-" + slot(state.frameTask, label), pretty(label));
      item.appendChild(sample);
      frame.appendChild(item);
    }
    box.appendChild(frame);
    if (state.stanceTask) {
      const stance = el("div", "group");
      stance.appendChild(el("span", "group-title", "Mark = " + pretty(state.stanceTask) + ":"));
      for (const label of state.info.labels[state.stanceTask]) {
        const item = el("span");
        const mark = el("span", "mark s-" + slot(state.stanceTask, label), glyph(label));
        mark.setAttribute("aria-hidden", "true");
        item.appendChild(mark);
        item.appendChild(document.createTextNode(" " + pretty(label)));
        stance.appendChild(item);
      }
      box.appendChild(stance);
    }
  }

  // The server counts characters (code points); JavaScript strings count UTF-16 units, so
  // an emoji before a sentence would shift every offset after it without this map.
  function utf16Index(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
    const map = [];
    let unit = 0;
    for (const ch of text) { map.push(unit); unit += ch.length; }
    map.push(unit);
    return (i) => map[i];
  }

  function renderArticle(text, analysis) {
    const view = $("article-view");
    view.replaceChildren();
    const at = utf16Index(text);
    let cursor = 0;
    analysis.sentences.forEach((sentence, i) => {
      const s = Object.assign({}, sentence, { start: at(sentence.start), end: at(sentence.end) });
      if (s.start > cursor) view.appendChild(document.createTextNode(text.slice(cursor, s.start)));
      const frame = s[state.frameTask];
      const span = el("span", "sent f-" + slot(state.frameTask, frame.label));
      span.tabIndex = 0;
      span.dataset.index = String(i);
      span.dataset.frame = frame.label;
      // The last word and the stance mark stay on one line: a mark alone at the start of
      // a line reads as belonging to the next sentence.
      const body = text.slice(s.start, s.end);
      let cut = body.search(/\S+$/);
      if (body.length - cut > 30) cut = body.length; // a long URL must still wrap
      span.appendChild(document.createTextNode(body.slice(0, cut)));
      const tail = el("span", "tail", body.slice(cut));
      span.appendChild(tail);
      let spoken = " (" + pretty(state.frameTask) + ": " + pretty(frame.label);
      if (state.stanceTask && s[state.stanceTask]) {
        const stance = s[state.stanceTask];
        span.dataset.stance = stance.label;
        const mark = el("span", "mark s-" + slot(state.stanceTask, stance.label), glyph(stance.label));
        mark.setAttribute("aria-hidden", "true");
        tail.appendChild(mark);
        spoken += ", " + pretty(state.stanceTask) + ": " + pretty(stance.label);
      }
      if (s.notes && s.notes.length) {
        span.classList.add("has-note");
        spoken += "; note: " + s.notes.join("; ");
      }
      span.appendChild(el("span", "visually-hidden", spoken + ")"));
      view.appendChild(span);
      cursor = s.end;
    });
    if (cursor < text.length) view.appendChild(document.createTextNode(text.slice(cursor)));
  }

  // -- the tooltip ---------------------------------------------------------------------------
  let tipFor = null;

  function showTip(span) {
    const s = state.analysis.sentences[Number(span.dataset.index)];
    const tip = $("tip");
    tip.replaceChildren();
    tip.appendChild(el("h4", "", "Sentence " + (s.index + 1)));
    for (const task of state.info.tasks) {
      const r = s[task];
      if (!r) continue;
      const block = el("div", "task");
      const head = el("div");
      head.appendChild(el("span", "task-name", pretty(task) + ": "));
      head.appendChild(document.createTextNode(pretty(r.label) + " (" + pct(r.confidence) + ")"));
      block.appendChild(head);
      for (const label of state.info.labels[task]) {
        const p = r.probabilities[label] || 0;
        const row = el("div", "prob" + (label === r.label ? " best" : ""));
        row.appendChild(el("span", "plabel", pretty(label)));
        const bar = el("span", "pbar");
        const fill = el("span", swatchClass(task, label));
        fill.style.width = (100 * p) + "%";
        bar.appendChild(fill);
        row.appendChild(bar);
        row.appendChild(el("span", "pval", pct(p)));
        block.appendChild(row);
      }
      tip.appendChild(block);
    }
    for (const note of s.notes || []) tip.appendChild(el("p", "tip-note", "Note: " + note));
    tip.hidden = false;
    place(tip, span);
    if (tipFor && tipFor !== span) tipFor.classList.remove("active");
    tipFor = span;
    span.classList.add("active");
    span.setAttribute("aria-describedby", "tip");
  }

  function place(tip, span) {
    const rects = span.getClientRects();
    const first = rects[0] || span.getBoundingClientRect();
    const last = rects[rects.length - 1] || first;
    const width = tip.offsetWidth;
    const height = tip.offsetHeight;
    const viewW = document.documentElement.clientWidth;
    let left = Math.min(Math.max(8, last.left), viewW - width - 8);
    let top = last.bottom + 6;
    if (top + height > window.innerHeight && first.top - height - 6 > 0) top = first.top - height - 6;
    left = Math.max(8, left);
    tip.style.left = (left + window.scrollX) + "px";
    tip.style.top = (top + window.scrollY) + "px";
  }

  function hideTip() {
    $("tip").hidden = true;
    if (tipFor) {
      tipFor.classList.remove("active");
      tipFor.removeAttribute("aria-describedby");
    }
    tipFor = null;
  }

  function sentenceOf(target) {
    return target && target.closest ? target.closest(".article-view .sent") : null;
  }

  function wireArticle() {
    const view = $("article-view");
    // Only a mouse that really moves shows a sentence: a pointer resting over the page while
    // the keyboard or a tap scrolls it must not steal the tooltip from the focused sentence.
    view.addEventListener("pointermove", (e) => {
      if (e.pointerType !== "mouse" || (e.movementX === 0 && e.movementY === 0)) return;
      const s = sentenceOf(e.target);
      if (s && s !== tipFor) showTip(s);
    });
    view.addEventListener("mouseleave", () => { if (!view.contains(document.activeElement)) hideTip(); });
    view.addEventListener("focusin", (e) => { const s = sentenceOf(e.target); if (s) showTip(s); });
    view.addEventListener("focusout", (e) => { if (!view.contains(e.relatedTarget)) hideTip(); });
    view.addEventListener("keydown", (e) => {
      const s = sentenceOf(e.target);
      if (!s) return;
      const all = Array.from(view.querySelectorAll(".sent"));
      const i = all.indexOf(s);
      let next = null;
      if (e.key === "ArrowRight" || e.key === "ArrowDown") next = all[i + 1];
      else if (e.key === "ArrowLeft" || e.key === "ArrowUp") next = all[i - 1];
      else if (e.key === "Home") next = all[0];
      else if (e.key === "End") next = all[all.length - 1];
      else if (e.key === "Escape") { hideTip(); return; }
      else return;
      e.preventDefault();
      if (next) next.focus();
    });
    window.addEventListener("resize", () => { if (tipFor) place($("tip"), tipFor); });
  }

  // -- CSV: the same columns and number format as `framelens classify --out rows.csv` --------
  function columns() {
    if (state.info.row_columns) return state.info.row_columns;
    const cols = ["doc_id", "sentence_index", "start", "end", "text"];
    for (const task of state.info.tasks) {
      cols.push(task, task + "_confidence");
      for (const label of state.info.labels[task]) cols.push(task + "_p_" + label);
    }
    return cols;
  }

  function row(docId, s) {
    const out = { doc_id: docId, sentence_index: s.index, start: s.start, end: s.end, text: s.text };
    for (const task of state.info.tasks) {
      const r = s[task];
      out[task] = r.label;
      out[task + "_confidence"] = pyFloat(r.confidence);
      for (const [label, p] of Object.entries(r.probabilities)) out[task + "_p_" + label] = pyFloat(p);
    }
    return out;
  }

  // Python writes 1.0 where JavaScript writes 1: match the batch files byte for byte.
  function pyFloat(x) { return Number.isInteger(x) ? x.toFixed(1) : String(x); }

  function csvField(value) {
    const s = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }

  function downloadCsv() {
    if (!state.analysis) return;
    const cols = columns();
    const lines = [cols.map(csvField).join(",")];
    for (const s of state.analysis.sentences) {
      const r = row(state.analysis.id, s);
      lines.push(cols.map((c) => csvField(r[c])).join(","));
    }
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "framelens-sentences.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // -- the form ------------------------------------------------------------------------------
  function status(message, isError) {
    const box = $("status");
    box.textContent = message;
    box.classList.toggle("error", Boolean(isError));
  }

  async function analyze(event) {
    if (event) event.preventDefault();
    const text = $("article").value;
    if (!text.trim()) {
      status("Paste an article first.", true);
      $("article").focus();
      return;
    }
    const button = $("analyze");
    button.disabled = true;
    status("Analyzing\u2026");
    const started = performance.now();
    try {
      if (!state.info && !(await loadInfo())) {
        throw new Error($("model-info").textContent);
      }
      const analysis = await call("/v1/analyze", { text: text });
      state.analysis = analysis;
      state.text = text;
      hideTip();
      renderSummary(analysis);
      renderNotes(analysis);
      renderLegend();
      renderArticle(text, analysis);
      $("results").hidden = false;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      status(analysis.sentences.length + " sentences analyzed in " + seconds + " s.");
      $("results-title").focus({ preventScroll: false });
    } catch (err) {
      status("Could not analyze: " + err.message, true);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("analyze-form").addEventListener("submit", analyze);
    $("article").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) analyze(e);
    });
    $("sample").addEventListener("click", () => { $("article").value = SAMPLE; $("article").focus(); });
    $("download").addEventListener("click", downloadCsv);
    $("token").addEventListener("change", () => { if (!state.info) loadInfo(); });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideTip(); });
    wireArticle();
    loadInfo();
  });
})();
