// claimgraph report: renders the embedded run data. Everything in the data is untrusted
// article text: it only ever reaches the page through text nodes (textContent), attribute
// values set with setAttribute, and hrefs that are internal (#...) or http(s) URLs.
// Never innerHTML. Offsets are Unicode code points, so texts are split with Array.from.
"use strict";
(function () {
  const T0 = performance.now();
  const D = JSON.parse(document.getElementById("data").textContent);
  const PARSED = performance.now();
  const PAGE = 50;
  const SECTIONS = [
    ["overview", "Overview"], ["entities", "Entities"], ["facts", "Facts"], ["conflicts", "Conflicts"],
    ["statements", "Statements"], ["documents", "Documents"],
  ];
  if (D.compare) SECTIONS.push(["changes", "What changed"]);
  const LABEL_COLORS = {
    PER: "#ffd6d6", ORG: "#cfe3ff", LOC: "#d4f2d2", MISC: "#eadcff", DATE: "#ffe8c2", TIME: "#ffe8c2",
    MONEY: "#d5f5ef", PERCENT: "#d5f5ef", CARDINAL: "#e8e8e8",
  };
  const color = (l) => LABEL_COLORS[l] || "#f2e6c9";

  // ---- helpers --------------------------------------------------------------------------
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
      else if (k === "style") for (const [p, x] of Object.entries(v)) e.style.setProperty(p, x);
      else e.setAttribute(k, String(v));
    }
    add(e, kids);
    return e;
  }
  function add(e, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      e.appendChild(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const txt = (s) => document.createTextNode(s == null ? "" : String(s));
  const fmt = (n) => (n == null ? "" : Number(n).toLocaleString("en-US"));
  const hash = (kind, id) => "#" + kind + "/" + encodeURIComponent(id);
  function safeUrl(u) {
    if (typeof u !== "string") return null;
    try {
      const p = new URL(u);
      return p.protocol === "http:" || p.protocol === "https:" ? p.href : null;
    } catch (e) {
      return null;
    }
  }
  function rowsOf(name) {
    const cols = D.cols[name];
    return (D[name] || []).map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
  }
  function viewRows(v, key) {
    const cols = D.cols["view_" + key];
    return (v[key] || []).map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
  }
  const lbl = (l) => h("span", { class: "lbl", style: { background: color(l) } }, l || "?");
  function capNote(shown, total, what, how) {
    if (total <= shown) return null;
    return h("p", { class: "note" }, `This report embeds ${fmt(shown)} of the run's ${fmt(total)} ${what} (${how}); ` +
      "the full table is in the run folder.");
  }

  // ---- data ----------------------------------------------------------------------------
  const docs = rowsOf("docs");
  const docById = new Map(docs.map((d) => [d.doc_id, d]));
  const ents = rowsOf("ents");
  const entById = new Map(ents.map((e) => [e.entity_id, e]));
  const facts = rowsOf("facts");
  const stmts = rowsOf("stmts");
  const conflicts = D.conflicts || [];
  const T = D.totals;

  function docLink(id) {
    if (id == null) return txt("");
    const d = docById.get(id);
    const title = d && d.title ? d.title : "";
    return h("a", { href: hash("doc", id), title: title }, id);
  }
  function entLink(id, text) {
    if (id && entById.has(id)) return h("a", { href: hash("entity", id) }, text || entById.get(id).name);
    return txt(text == null ? "" : text);
  }

  // ---- a table with search, sort and pages ---------------------------------------------
  // cols: [{t: title, v: row => sort/search value, r: row => node (default: v), num}]
  function table(rows, cols, opts) {
    opts = opts || {};
    const wrap = h("div", { class: "tbl", "data-rows": rows.length });
    let shown = rows, page = 0, sortCol = opts.sort == null ? -1 : opts.sort, dir = opts.dir || -1;
    const search = h("input", { type: "search", placeholder: opts.placeholder || "Search…", "aria-label": "search" });
    const pager = h("span", { class: "pager" });
    const prev = h("button", { type: "button" }, "‹ previous");
    const next = h("button", { type: "button" }, "next ›");
    const tbody = h("tbody");
    const ths = cols.map((c, i) => h("th", { class: "sort" + (c.num ? " num" : ""), on: { click: () => sortBy(i) } }, c.t));
    const text = rows.map((r) => cols.map((c) => String(c.v(r) ?? "")).join(" \u0001 ").toLowerCase());
    const index = new Map(rows.map((r, i) => [r, i]));
    function apply() {
      const q = search.value.trim().toLowerCase();
      shown = q ? rows.filter((r) => text[index.get(r)].includes(q)) : rows.slice();
      if (sortCol >= 0) {
        const f = cols[sortCol].v;
        shown.sort((a, b) => {
          const x = f(a), y = f(b);
          const c = typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "").localeCompare(String(y ?? ""));
          return c * dir;
        });
      }
      ths.forEach((th, i) => th.classList.toggle(dir > 0 ? "asc" : "desc", i === sortCol));
      ths.forEach((th, i) => th.classList.toggle(dir > 0 ? "desc" : "asc", false));
      page = 0;
      draw();
    }
    function sortBy(i) {
      dir = sortCol === i ? -dir : (cols[i].num ? -1 : 1);
      sortCol = i;
      ths.forEach((th) => th.classList.remove("asc", "desc"));
      apply();
    }
    function draw() {
      tbody.replaceChildren();
      const start = page * PAGE;
      for (const r of shown.slice(start, start + PAGE)) {
        const tr = h("tr", opts.href ? { class: "clickable" } : {},
          cols.map((c) => h("td", { class: [c.num ? "num" : "", c.cls || ""].join(" ").trim() || null }, c.r ? c.r(r) : c.v(r))));
        if (opts.href) tr.addEventListener("click", (ev) => {
          if (!(ev.target instanceof HTMLAnchorElement)) location.hash = opts.href(r);
        });
        tbody.appendChild(tr);
      }
      const end = Math.min(start + PAGE, shown.length);
      pager.textContent = shown.length ? `rows ${fmt(start + 1)}–${fmt(end)} of ${fmt(shown.length)}` +
        (shown.length < rows.length ? ` (filtered from ${fmt(rows.length)})` : "") : "no rows";
      prev.disabled = page === 0;
      next.disabled = end >= shown.length;
      wrap.setAttribute("data-shown", String(end - start));
    }
    prev.addEventListener("click", () => { page--; draw(); });
    next.addEventListener("click", () => { page++; draw(); });
    search.addEventListener("input", apply);
    add(wrap, [h("div", { class: "tools" }, search, prev, next, pager),
      h("table", {}, h("thead", {}, h("tr", {}, ths)), tbody)]);
    apply();
    return wrap;
  }

  // ---- charts: horizontal bars, our own SVG --------------------------------------------
  function bars(title, items, note) {
    const NS = "http://www.w3.org/2000/svg";
    const W = 460, ROW = 20, LEFT = 170, top = 4;
    const max = Math.max(1, ...items.map((i) => i.value));
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", W);
    svg.setAttribute("height", top + items.length * ROW + 4);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", title);
    const el = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text != null) e.textContent = String(text);
      return e;
    };
    items.forEach((it, i) => {
      const y = top + i * ROW;
      const g = it.href ? el("a", { href: it.href }) : el("g", {});
      const name = String(it.label);
      g.appendChild(el("text", { x: LEFT - 6, y: y + 14, "text-anchor": "end" }, name.length > 26 ? name.slice(0, 25) + "…" : name));
      const w = Math.max(1, ((W - LEFT - 60) * it.value) / max);
      const bar = el("rect", { class: "bar", x: LEFT, y: y + 3, width: w, height: ROW - 6, rx: 2 });
      bar.appendChild(el("title", {}, `${name}: ${it.value}`));
      g.appendChild(bar);
      g.appendChild(el("text", { x: LEFT + w + 5, y: y + 14 }, fmt(it.value)));
      svg.appendChild(g);
    });
    return h("div", { class: "panel chart" }, h("h3", {}, title), note ? h("p", { class: "hint" }, note) : null,
      items.length ? svg : h("p", { class: "hint" }, "nothing to show"));
  }

  function charts() {
    const labels = (D.labels || []).map(([l, n]) => ({ label: l, value: n }));
    const cited = ents.slice().sort((a, b) => b.doc_count - a.doc_count || b.mention_count - a.mention_count).slice(0, 10)
      .map((e) => ({ label: e.name, value: e.doc_count, href: hash("entity", e.entity_id) }));
    const bySources = new Map();
    for (const f of facts) {
      const k = Math.min(5, new Set(f.sources || []).size);
      bySources.set(k, (bySources.get(k) || 0) + 1);
    }
    const srcItems = [0, 1, 2, 3, 4, 5].filter((k) => bySources.has(k))
      .map((k) => ({ label: k === 5 ? "5 or more sources" : k === 1 ? "1 source" : `${k} sources`, value: bySources.get(k) }));
    const perSource = new Map();
    for (const c of conflicts) {
      const srcs = new Set((c.sides || []).flatMap((s) => s.sources || []));
      for (const s of srcs) perSource.set(s, (perSource.get(s) || 0) + 1);
    }
    const confItems = [...perSource].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10)
      .map(([s, n]) => ({ label: s, value: n }));
    return h("div", { class: "grid2" },
      bars("Mentions by label", labels, "every mention of the run"),
      bars("Most-cited entities", cited, "documents that mention each; click to open"),
      bars("Facts by number of sources", srcItems, "distinct outlets that state each fact"),
      bars("Sources by number of conflicts", confItems, "conflicts where the outlet is on one side"));
  }

  // ---- sections ------------------------------------------------------------------------
  function kv(pairs) {
    return h("table", { class: "kv" }, h("tbody", {}, pairs.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
  }

  function overview() {
    const m = D.manifest || {};
    const c = m.counts || {};
    const card = (k, v, bad) => h("div", { class: "card" + (bad ? " bad" : "") }, h("div", { class: "v" }, fmt(v)), h("div", { class: "k" }, k));
    const out = [h("h2", {}, "Overview"),
      h("p", { class: "hint" }, `Run ${D.run.dir} (${D.run.format} tables), made by ${m.tool || "claimgraph"} ${m.version || ""}, ` +
        `schema ${m.schema_version || "?"}. Click a tab above, or any entity, fact, conflict or document id.`),
      h("div", { class: "cards" }, card("records", c.records), card("ok", c.ok), card("rejected", c.rejected, c.rejected > 0),
        card("mentions", T.mentions), card("entities", T.entities), card("statements", T.statements),
        card("relations", T.relations), card("facts", T.facts), card("conflicts", T.conflicts, T.conflicts > 0))];
    for (const n of D.notes || []) out.push(h("p", { class: "note" }, n));
    out.push(charts());
    const errs = D.errors || [];
    out.push(h("h3", {}, `Rejected records (${fmt(c.rejected || 0)})`));
    if (!errs.length) out.push(h("p", { class: "hint" }, "None: every record was processed."));
    else out.push(table(errs, [
      { t: "reason", v: (g) => g[0] }, { t: "records", v: (g) => g[1], num: true },
      { t: "examples", v: (g) => g[2].map((e) => e[3]).join(" "),
        r: (g) => g[2].map((e) => h("div", {}, h("code", {}, `${e[1] || ""}${e[2] != null ? ":" + e[2] : ""}`), " ", e[0] ? `(${e[0]}) ` : "", e[3])) },
    ], { sort: 1 }));
    const inputs = m.inputs || [];
    out.push(h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h3", {}, "Inputs"), table(inputs, [
        { t: "path", v: (i) => i.path }, { t: "format", v: (i) => i.format }, { t: "bytes", v: (i) => i.bytes, r: (i) => fmt(i.bytes), num: true },
        { t: "records", v: (i) => i.records, num: true }, { t: "sha256", v: (i) => i.sha256, r: (i) => h("code", { title: i.sha256 }, String(i.sha256 || "").slice(0, 12)) },
      ])),
      h("div", { class: "panel" }, h("h3", {}, "Model and stages"), kv([
        ["model", (m.model || {}).path], ["engine", (m.model || {}).engine], ["fingerprint", h("code", {}, (m.model || {}).fingerprint)],
        ...(m.stages || []).map((s) => [s.name, h("code", { title: s.fingerprint }, String(s.fingerprint).slice(0, 40))]),
      ])),
      h("div", { class: "panel" }, h("h3", {}, "Timings"), kv([
        ...Object.entries(m.timings || {}).map(([k, v]) => [k, `${v} s`]),
        ["words", fmt(m.words)], ["words/s", fmt(m.words_per_second)], ["threads", m.threads],
      ])),
      h("div", { class: "panel" }, h("h3", {}, "Rows per table"), kv([
        ...Object.entries(c).filter(([k]) => !["records", "ok", "rejected"].includes(k)).map(([k, v]) => [k, fmt(v)]),
      ])),
      h("div", { class: "panel" }, h("h3", {}, "What this report embeds"), kv([
        ["entities", `${fmt(ents.length)} of ${fmt(T.entities)} (most mentioned first; cap ${fmt(D.caps.rows)})`],
        ["facts", `${fmt(facts.length)} of ${fmt(T.facts)} (best supported first; up to ${D.caps.evidence} evidence sentences each)`],
        ["statements", `${fmt(stmts.length)} of ${fmt(T.statements)} (in input order)`],
        ["conflicts", `${fmt(conflicts.length)} of ${fmt(T.conflicts)}`],
        ["document views", `${fmt(T.doc_views)} of ${fmt(T.documents)} documents have their text and highlights (cap ${fmt(D.caps.doc_views)}: documents that conflicts cite first, then in input order); every document is listed`],
      ]))));
    return out;
  }

  const aliasList = (e) => (e.aliases || []).map(([t, n]) => h("span", { class: "alias" }, t, h("b", {}, "×" + n)));

  function entities() {
    return [h("h2", {}, "Entities"),
      h("p", { class: "hint" }, "One row per real-world entity across outlets, with the surface forms each outlet used. Click a row for its facts, statements and documents."),
      capNote(ents.length, T.entities, "entities", "the most mentioned"),
      table(ents, [
        { t: "name", v: (e) => e.name, r: (e) => entLink(e.entity_id) }, { t: "label", v: (e) => e.label, r: (e) => lbl(e.label) },
        { t: "aliases (mentions)", v: (e) => (e.aliases || []).map((a) => a[0]).join(" "), r: aliasList },
        { t: "documents", v: (e) => e.doc_count, num: true }, { t: "mentions", v: (e) => e.mention_count, num: true },
      ], { sort: 4, href: (e) => hash("entity", e.entity_id), placeholder: "Search names and aliases…" })];
  }

  const factCols = [
    { t: "subject", v: (f) => f.subject, r: (f) => entLink(f.subject_entity_id, f.subject) },
    { t: "predicate", v: (f) => f.predicate, r: (f) => h("code", {}, f.predicate) },
    { t: "object or value", v: (f) => f.object, r: (f) => entLink(f.object_entity_id, f.object) },
    { t: "docs", v: (f) => f.support, num: true },
    { t: "sources", v: (f) => (f.sources || []).length, r: (f) => `${new Set(f.sources || []).size}: ${[...new Set(f.sources || [])].join(", ")}` },
    { t: "+ / − / hedged", v: (f) => f.negative, r: (f) => [h("span", { class: "pol-positive" }, f.positive), " / ",
      h("span", { class: "pol-negative" }, f.negative), " / ", f.hedged] },
    { t: "first – last published", cls: "dates", v: (f) => f.first_published, r: (f) => f.first_published === f.last_published ? f.first_published : [h("span", { class: "nw" }, f.first_published || "?"), " – ", h("span", { class: "nw" }, f.last_published || "?")] },
    { t: "evidence", cls: "wide", v: (f) => (f.evidence || []).map((e) => e[1]).join(" "), r: (f) => (f.evidence || []).map((e) =>
      h("blockquote", {}, e[1], h("span", { class: "src" }, "— ", docLink(e[0]), e[2] === "negative" ? " (negated)" : "", e[3] && e[3] !== "asserted" ? ` (${e[3]})` : ""))) },
  ];

  function factsSection() {
    return [h("h2", {}, "Facts"),
      h("p", { class: "hint" }, "Relations merged over entities across documents: support is the number of documents, sources the distinct outlets; each with the sentences that state it."),
      capNote(facts.length, T.facts, "facts", "the best supported"),
      table(facts, factCols, { sort: 3, placeholder: "Search subjects, predicates, objects, evidence…" })];
  }

  function sideClaim(c, s) {
    if (c.kind === "value") return ["says ", h("span", { class: "v" }, s.value)];
    return s.polarity === "negative" ? h("span", { class: "pol-negative" }, "denies / negates") : h("span", { class: "pol-positive" }, "asserts");
  }

  function conflictCard(c) {
    const subject = c.subject_entity_id ? entLink(c.subject_entity_id, c.subject_name) : txt(c.subject_value || c.subject_name);
    const obj = c.object ? (c.object.startsWith("value:") ? c.object.slice(6) : entLink(c.object, (entById.get(c.object) || {}).name || c.object)) : null;
    return h("div", { class: "conflict", id: "c-" + c.conflict_id },
      h("h3", {}, subject, " — ", h("code", {}, c.predicate), obj ? [" — ", obj] : null),
      h("div", { class: "hint" }, c.kind === "value" ? "The sources give different values." : "Some sources assert it, others negate it.",
        " ", h("a", { href: hash("conflict", c.conflict_id) }, c.conflict_id)),
      h("div", { class: "sides" }, (c.sides || []).map((s) => h("div", { class: "side" },
        h("div", { class: "claim" }, (s.sources || []).join(", "), " ", h("span", { class: "vs" }, "→"), " ", sideClaim(c, s)),
        s.subject ? h("div", { class: "hint" }, "subject in this side: " + s.subject) : null,
        h("div", { class: "hint" }, "documents: ", (s.doc_ids || []).map((d, i) => [i ? ", " : "", docLink(d)])),
        (s.evidence || []).map((e) => h("blockquote", {}, e.text, h("span", { class: "src" }, "— ", docLink(e.doc_id))))))));
  }

  function conflictsSection(only) {
    const list = only ? conflicts.filter((c) => c.conflict_id === only) : conflicts;
    const out = [h("h2", {}, only ? "Conflict" : "Conflicts"),
      h("p", { class: "hint" }, "Where sources disagree: each side with its outlets, documents and evidence, next to each other."),
      only ? h("p", {}, h("a", { href: "#conflicts" }, "← all conflicts")) : capNote(conflicts.length, T.conflicts, "conflicts", "in file order")];
    if (!list.length) out.push(h("p", { class: "hint" }, only ? "This conflict is not in the report." : "No conflicts in this run."));
    return out.concat(list.slice(0, only ? 1 : 200).map(conflictCard),
      !only && list.length > 200 ? h("p", { class: "note" }, `Showing the first 200 of ${fmt(list.length)} conflicts.`) : null);
  }

  const stmtCols = [
    { t: "speaker", v: (s) => s.speaker, r: (s) => s.speaker == null ? h("span", { class: "hint" }, "(none found)") : entLink(s.speaker_entity_id, s.speaker) },
    { t: "cue", v: (s) => s.cue, r: (s) => h("code", {}, s.cue) }, { t: "kind", v: (s) => s.kind },
    { t: "what was said", cls: "wide", v: (s) => s.content, r: (s) => h("blockquote", {}, s.content) },
    { t: "document", v: (s) => s.doc_id, r: (s) => docLink(s.doc_id) },
  ];

  function statementsSection() {
    return [h("h2", {}, "Statements"), h("p", { class: "hint" }, "Who said what: direct quotes and reported speech, with the speaker linked to its entity."),
      capNote(stmts.length, T.statements, "statements", "in input order"),
      table(stmts, stmtCols, { placeholder: "Search speakers and quotes…" })];
  }

  function documentsSection() {
    return [h("h2", {}, "Documents"),
      h("p", { class: "hint" }, `Every input record. ${fmt(T.doc_views)} of ${fmt(T.documents)} have a full view (text with highlights); click one.`),
      table(docs, [
        { t: "doc_id", v: (d) => d.doc_id, r: (d) => d.view ? docLink(d.doc_id) : txt(d.doc_id) },
        { t: "title", v: (d) => d.title }, { t: "source", v: (d) => d.source }, { t: "published", v: (d) => d.published },
        { t: "status", v: (d) => d.status, r: (d) => d.status === "ok" ? "ok" : h("span", { class: "pol-negative", title: d.reason || "" }, "rejected: " + (d.reason || "")) },
        { t: "mentions", v: (d) => d.mentions, num: true }, { t: "statements", v: (d) => d.statements, num: true },
        { t: "relations", v: (d) => d.relations, num: true },
        { t: "view", v: (d) => d.view, r: (d) => d.view ? "text" : h("span", { class: "hint" }, "not embedded") },
      ], { href: (d) => hash("doc", d.doc_id), placeholder: "Search ids, titles, outlets…" })];
  }

  function entitySection(id) {
    const e = entById.get(id);
    if (!e) return [h("h2", {}, "Entity"), h("p", { class: "note" }, `Entity ${id} is not among the ${fmt(ents.length)} embedded in this report.`)];
    const fs = facts.filter((f) => f.subject_entity_id === id || f.object_entity_id === id);
    const ss = stmts.filter((s) => s.speaker_entity_id === id);
    const docsOf = (e.doc_ids || []).map((d) => docById.get(d) || { doc_id: d });
    return [h("p", {}, h("a", { href: "#entities" }, "← all entities")),
      h("h2", { class: "entity-name" }, e.name, " ", lbl(e.label)),
      h("p", { class: "meta" }, `${fmt(e.mention_count)} mentions in ${fmt(e.doc_count)} documents · `, h("code", {}, e.entity_id)),
      h("div", {}, "Also written as: ", aliasList(e)),
      h("h3", {}, `Facts (${fs.length})`), fs.length ? table(fs, factCols, { sort: 3 }) : h("p", { class: "hint" }, "No fact has this entity as subject or object."),
      h("h3", {}, `Statements as speaker (${ss.length})`), ss.length ? table(ss, stmtCols) : h("p", { class: "hint" }, "None among the embedded statements."),
      h("h3", {}, `Documents that mention it (${fmt(e.doc_count)})`),
      e.doc_count > docsOf.length ? h("p", { class: "hint" }, `The first ${docsOf.length} are listed.`) : null,
      table(docsOf, [{ t: "doc_id", v: (d) => d.doc_id, r: (d) => docLink(d.doc_id) }, { t: "title", v: (d) => d.title },
        { t: "source", v: (d) => d.source }, { t: "published", v: (d) => d.published }], { href: (d) => hash("doc", d.doc_id) })];
  }

  // The text as nodes: each mention is one <a class="m"> whose text is exactly
  // text[start:end] (code points); statement contents (q) and speakers (sp) shade the text.
  function renderText(text, ms, ss) {
    const cps = Array.from(text);
    const mentions = ms.slice().sort((a, b) => a.start - b.start || b.end - a.end);
    const kept = [];
    for (const m of mentions) if (!kept.length || m.start >= kept[kept.length - 1].end) kept.push(m);
    const shade = []; // [start, end, class]
    for (const s of ss) {
      if (s.content_start != null) shade.push([s.content_start, s.content_end, "q"]);
      if (s.speaker_start != null) shade.push([s.speaker_start, s.speaker_end, "sp"]);
    }
    const speakerSpans = new Set(ss.filter((s) => s.speaker_start != null).map((s) => s.speaker_start + ":" + s.speaker_end));
    const cuts = new Set([0, cps.length]);
    for (const [a, b] of shade) { cuts.add(a); cuts.add(b); }
    // Pieces of [a, b), split where a shade starts or ends, each with its classes.
    function pieces(a, b) {
      const pts = [...cuts].filter((x) => x > a && x < b).sort((x, y) => x - y);
      const out = [];
      let from = a;
      for (const to of pts.concat([b])) {
        const cls = shade.filter(([s, e]) => s <= from && to <= e).map((x) => x[2]);
        const piece = cps.slice(from, to).join("");
        const uniq = [...new Set(cls)];
        out.push(uniq.length ? h("span", { class: uniq.join(" ") }, piece) : txt(piece));
        from = to;
      }
      return out;
    }
    const box = h("div", { class: "doctext" });
    let pos = 0;
    for (const m of kept) {
      if (m.start > pos) add(box, pieces(pos, m.start));
      const e = m.entity_id ? entById.get(m.entity_id) : null;
      const tip = m.label + (m.entity_id ? " · " + (e ? e.name : m.entity_id) : "") + (speakerSpans.has(m.start + ":" + m.end) ? " · speaker" : "");
      const a = h("a", {
        class: "m" + (speakerSpans.has(m.start + ":" + m.end) ? " spk" : ""), title: tip,
        "data-start": m.start, "data-end": m.end, "data-label": m.label,
        href: m.entity_id && e ? hash("entity", m.entity_id) : null, style: { background: color(m.label) },
      }, pieces(m.start, m.end));
      box.appendChild(a);
      pos = m.end;
    }
    if (pos < cps.length) add(box, pieces(pos, cps.length));
    return box;
  }

  function documentSection(id) {
    const d = docById.get(id);
    const v = (D.views || {})[id];
    const back = h("p", {}, h("a", { href: "#documents" }, "← all documents"));
    if (!d) return [back, h("h2", {}, "Document"), h("p", { class: "note" }, `No document ${id} in this run.`)];
    const url = safeUrl(d.url);
    const head = [back, h("h2", { class: "doc-title" }, d.title || d.doc_id),
      h("p", { class: "meta" }, h("code", {}, d.doc_id), d.source ? " · " + d.source : "", d.published ? " · " + d.published : "",
        d.url ? [" · ", url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, d.url) : h("span", { title: "not an http(s) link" }, d.url)] : "",
        ` · ${fmt(d.words)} words, ${fmt(d.mentions)} mentions, ${fmt(d.statements)} statements, ${fmt(d.relations)} relations`)];
    if (d.status !== "ok") return head.concat(h("p", { class: "note" }, "Rejected: " + (d.reason || "")));
    if (!v) return head.concat(h("p", { class: "note" }, `This document's view is not embedded: the report holds ${fmt(T.doc_views)} document views (cap ${fmt(D.caps.doc_views)}, or --max-doc-views).`));
    const ms = viewRows(v, "m"), ss = viewRows(v, "s"), rs = viewRows(v, "r");
    const labels = [...new Set(ms.map((m) => m.label))].sort();
    const out = head.concat(h("div", { class: "legend" }, "Mentions by label:", labels.map((l) => h("span", { class: "sw", style: { background: color(l) } }, l)),
      h("span", { class: "hint" }, "(hover a mention for its entity, click to open it)")),
      h("div", { class: "legend" }, "Statements:", h("span", { class: "sw q" }, "what was said"),
      h("span", { class: "sw", style: { outline: "2px solid #6a3fb5" } }, "named speaker"),
      h("span", { class: "sw", style: { "text-decoration": "underline 2px #6a3fb5" } }, "other speaker")));
    if (v.t == null) out.push(h("p", { class: "note" }, "Text not shown: " + (v.why || "unavailable") + ". The spans are listed below."));
    else out.push(renderText(v.t, ms, ss));
    out.push(h("h3", {}, `Statements (${ss.length})`), ss.length ? table(ss, [
      { t: "speaker", v: (s) => s.speaker, r: (s) => s.speaker == null ? h("span", { class: "hint" }, "(none)") : entLink(s.speaker_entity_id, s.speaker) },
      { t: "cue", v: (s) => s.cue }, { t: "kind", v: (s) => s.kind },
      { t: "content", v: (s) => v.t == null ? "" : Array.from(v.t).slice(s.content_start, s.content_end).join(""), r: (s) => h("blockquote", {}, v.t == null ? `[${s.content_start}, ${s.content_end})` : Array.from(v.t).slice(s.content_start, s.content_end).join("")) },
    ]) : h("p", { class: "hint" }, "none"));
    out.push(h("h3", {}, `Relations (${rs.length})`), rs.length ? table(rs, [
      { t: "subject", v: (r) => r.subject, r: (r) => entLink(r.subject_entity_id, r.subject) },
      { t: "predicate", v: (r) => r.predicate, r: (r) => h("code", {}, r.predicate) },
      { t: "object", v: (r) => r.object, r: (r) => entLink(r.object_entity_id, r.object) },
      { t: "polarity", v: (r) => r.polarity, r: (r) => h("span", { class: "pol-" + r.polarity }, r.polarity) },
      { t: "modality", v: (r) => r.modality }, { t: "evidence", v: (r) => r.evidence, r: (r) => h("blockquote", {}, r.evidence) },
    ]) : h("p", { class: "hint" }, "none"));
    if (v.t == null) out.push(h("h3", {}, "Mentions"), table(ms, [{ t: "text", v: (m) => m.text }, { t: "label", v: (m) => m.label, r: (m) => lbl(m.label) },
      { t: "span", v: (m) => m.start, r: (m) => `[${m.start}, ${m.end})`, num: true }, { t: "entity", v: (m) => m.entity_id, r: (m) => entLink(m.entity_id, m.entity_id) }]));
    return out;
  }

  function changesSection() {
    const c = D.compare, s = c.summary;
    const counts = (m) => Object.entries(m || {}).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
    const out = [h("h2", {}, "What changed"),
      h("p", { class: "hint" }, `From ${s.run_a} (before) to ${s.run_b} (this report's run), as claimgraph diff says.`),
      h("p", { class: s.equal ? "" : "note" }, s.equal ? "The datasets are equal." : "The datasets differ."),
      kv([["changed steps", (s.fingerprints || []).map((f) => f.step).join(", ") || "none (same fingerprints: inputs or options differ)"],
        ["entities", counts(s.entities)], ["facts", counts(s.facts)], ["conflicts", counts(s.conflicts)],
        ...["mentions", "statements", "relations"].map((k) => [k, `${s[k].gained} gained, ${s[k].lost} lost, ${s[k].changed} changed`]),
        ["documents", counts(s.documents)]]),
      h("h3", {}, "Tables"), table(Object.entries(s.tables || {}), [{ t: "table", v: (t) => t[0] },
        { t: "rows before", v: (t) => t[1].rows_before, num: true }, { t: "rows after", v: (t) => t[1].rows_after, num: true },
        { t: "equal", v: (t) => (t[1].equal ? "yes" : "no") }])];
    const side = (x) => (x ? `${x.name} (${x.label}, ${x.mention_count} mentions)` : "");
    const chg = (v) => h("span", { class: "chg-" + v }, v);
    out.push(h("h3", {}, `Entities (${fmt(c.counts.entities)})`), table(c.entities, [{ t: "change", v: (e) => e.change, r: (e) => chg(e.change) },
      { t: "before", v: (e) => side(e.before) }, { t: "after", v: (e) => side(e.after), r: (e) => e.after ? entLink(e.after.entity_id, side(e.after)) : "" }]));
    out.push(h("h3", {}, `Facts (${fmt(c.counts.facts)})`), table(c.facts, [{ t: "change", v: (f) => f.change, r: (f) => chg(f.change) },
      { t: "subject", v: (f) => f.subject }, { t: "predicate", v: (f) => f.predicate }, { t: "object", v: (f) => f.object },
      { t: "support", v: (f) => `${f.support_before ?? "–"} → ${f.support_after ?? "–"}` },
      { t: "documents gained / lost", v: (f) => (f.docs_gained || []).concat(f.docs_lost || []).join(" "),
        r: (f) => [(f.docs_gained || []).map((d) => ["+", docLink(d), " "]), (f.docs_lost || []).map((d) => ["−" + d + " "])] }]));
    out.push(h("h3", {}, `Conflicts (${fmt(c.counts.conflicts)})`), table(c.conflicts, [{ t: "change", v: (x) => x.change, r: (x) => chg(x.change) },
      { t: "kind", v: (x) => x.kind }, { t: "subject", v: (x) => x.subject }, { t: "predicate", v: (x) => x.predicate }]));
    out.push(h("h3", {}, `Documents (${fmt(c.counts.documents)})`), table(c.documents, [{ t: "document", v: (d) => d.doc_id, r: (d) => docLink(d.doc_id) },
      { t: "change", v: (d) => d.change, r: (d) => chg(d.change) },
      { t: "mentions +/−/changed", v: (d) => `${d.mentions.gained}/${d.mentions.lost}/${d.mentions.changed}` },
      { t: "statements +/−", v: (d) => `${(d.statements_gained || []).length}/${(d.statements_lost || []).length}` },
      { t: "relations +/−", v: (d) => `${(d.relations_gained || []).length}/${(d.relations_lost || []).length}` }]));
    return out;
  }

  // ---- routing and the self-check ------------------------------------------------------
  const counts = { entities: T.entities, facts: T.facts, conflicts: T.conflicts, statements: T.statements, documents: T.documents };
  const nav = document.getElementById("nav");
  const links = SECTIONS.map(([id, name]) => h("a", { href: "#" + id, "data-section": id }, name,
    counts[id] != null ? h("span", { class: "n" }, fmt(counts[id])) : null));
  add(nav, links);
  document.getElementById("run-name").textContent = D.run.dir;

  function route() {
    const raw = location.hash.slice(1) || "overview";
    const slash = raw.indexOf("/");
    const kind = slash < 0 ? raw : raw.slice(0, slash);
    let id = null;
    try { id = slash < 0 ? null : decodeURIComponent(raw.slice(slash + 1)); } catch (e) { id = raw.slice(slash + 1); }
    const views = {
      overview, entities, facts: factsSection, conflicts: () => conflictsSection(null), statements: statementsSection,
      documents: documentsSection, changes: D.compare ? changesSection : overview,
      entity: () => entitySection(id), conflict: () => conflictsSection(id), doc: () => documentSection(id),
    };
    const tab = { entity: "entities", conflict: "conflicts", doc: "documents" }[kind] || (views[kind] ? kind : "overview");
    const main = document.getElementById("main");
    main.replaceChildren(h("section", { id: "sec-" + kind, "data-view": kind }, (views[kind] || overview)()));
    links.forEach((a) => a.classList.toggle("on", a.getAttribute("data-section") === tab));
    window.scrollTo(0, 0);
    selfCheck(kind, id);
  }

  // A machine-readable account of what the page shows, for tests and for the curious.
  function selfCheck(kind, id) {
    const main = document.getElementById("main");
    const first = main.querySelector(".tbl");
    const check = {
      ready: true, view: kind, id: id, sections: SECTIONS.map((s) => s[0]), totals: T,
      embedded: { entities: ents.length, facts: facts.length, statements: stmts.length, conflicts: conflicts.length,
        documents: docs.length, views: Object.keys(D.views || {}).length },
      table_rows: first ? Number(first.getAttribute("data-rows")) : null,
      rendered_rows: first ? first.querySelectorAll("tbody tr").length : 0,
      conflict_cards: main.querySelectorAll(".conflict").length,
      sides: main.querySelectorAll(".side").length,
      marks: Array.from(main.querySelectorAll(".doctext a.m")).map((a) => [Number(a.getAttribute("data-start")), Number(a.getAttribute("data-end")), a.getAttribute("data-label"), a.textContent]),
      charts: main.querySelectorAll(".chart svg").length,
      // Milliseconds: page start to this script, JSON.parse of the data, script to this view.
      timing: { to_script: Math.round(T0), parse: Math.round(PARSED - T0), to_view: Math.round(performance.now() - T0) },
    };
    document.getElementById("selfcheck").textContent = JSON.stringify(check);
    window.__report = check;
  }

  window.addEventListener("hashchange", route);
  route();
})();
