// The lecturer's page: polls the class's answers every half second and updates the bars in
// place (the focus stays on the button the lecturer pressed). The token comes in the page's
// address once; it is then kept in this tab's sessionStorage and taken out of the address
// bar, which a projector shows to the whole room.
"use strict";
(function () {
  // The page's own address: /bpttviz/class, or under a JupyterHub service's prefix.
  const BASE = location.pathname.replace(/\/+$/, "");
  const POLL_MS = 500;
  const INFO_MS = 5000;
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem("bpttviz-class-token", params.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  const token = sessionStorage.getItem("bpttviz-class-token") || "";
  // Through JupyterHub the page is logged in by the hub's cookie, and each of its requests
  // carries the hub's XSRF token (the hub's cookie counts only with it outside navigation).
  const xsrf = document.querySelector("meta[name=bpttviz-xsrf]")?.content || "";
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $("cv-status").textContent = text; };
  let info = null;        // {lessons: {name: {pace, steps: [...]}}}
  let summary = null;
  let chosen = null;      // the lesson shown: picked by the lecturer, or the class's first

  async function call(path, body) {
    const options = {headers: {}, cache: "no-store", credentials: "same-origin"};
    if (token) options.headers.Authorization = "token " + token;
    if (xsrf) options.headers["X-XSRFToken"] = xsrf;
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const r = await fetch(BASE + path, options);
    if (!r.ok) {
      let message = r.statusText;
      try { message = (await r.json()).error; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return path.endsWith(".csv") ? r.text() : r.json();
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function lessonShown() {
    if (chosen && info.lessons[chosen]) return chosen;
    const names = Object.keys(info.lessons);
    if (summary) {
      // The lesson most pages are open on.
      let best = null;
      for (const n of names) {
        const s = summary.lessons[n]?.students || 0;
        if (s > 0 && (best === null || s > (summary.lessons[best]?.students || 0))) best = n;
      }
      // Kept from then on, so the page does not jump between lessons as pages come and go.
      if (best) return (chosen = best);
    }
    return names[0];
  }

  function build() {
    const name = lessonShown();
    const select = $("cv-lesson");
    if (select.options.length !== Object.keys(info.lessons).length) {
      select.replaceChildren(...Object.keys(info.lessons).map((n) => el("option", {value: n}, n)));
    }
    select.value = name;
    const lesson = info.lessons[name];
    const main = $("cv-main");
    if (main.dataset.lesson === name) return;
    main.dataset.lesson = name;
    const steps = lesson.steps.map((step, i) => {
      const n = i + 1;
      const choices = step.choices.map((text, k) => el("li",
        {class: "cv-choice" + (k + 1 === step.answer ? " cv-right" : ""), "data-choice": k + 1},
        el("span", {class: "cv-text"}, text,
           ...(k + 1 === step.answer ? [" ", el("span", {class: "cv-mark"}, "✓ right answer")]
                                     : [])),
        el("div", {class: "cv-bar-track", "aria-hidden": "true"}, el("div", {class: "cv-bar"})),
        el("span", {class: "cv-count", "data-choice": k + 1}, "0")));
      const pace = el("button", {type: "button", class: "cv-pace"}, `Bring the class to step ${n}`);
      pace.addEventListener("click", () => act("pace", name, n));
      const reveal = el("button", {type: "button", class: "cv-reveal"}, `Reveal step ${n}`);
      reveal.addEventListener("click", () => act("reveal", name, n));
      const vote = el("button", {type: "button", class: "cv-vote"}, `Open a vote on step ${n}`);
      vote.addEventListener("click", () => {
        const open = !summary.lessons[name].steps[n].open;
        act("vote", name, n, {open});
      });
      return el("section", {class: "cv-step", "data-step": n, "aria-labelledby": `cv-step-${n}`},
        el("h3", {id: `cv-step-${n}`}, `Step ${n}: ${step.title}`),
        el("p", {class: "cv-question"}, step.question),
        el("ul", {class: "cv-choices", "aria-label": `Answers to step ${n}`}, ...choices),
        el("div", {class: "cv-actions"},
           el("span", {class: "cv-answered"}, "Answered: ", el("b", {class: "cv-answered-n"}, "0")),
           el("span", {class: "cv-here"}), pace, vote, reveal),
        el("div", {class: "cv-rounds"}));
    });
    const pause = el("button", {type: "button", class: "cv-pause"}, "Pause this lesson");
    pause.addEventListener("click", () => act("pause", name, undefined,
                                              {paused: !info.lessons[name].paused}));
    const experiment = el("button", {type: "button", class: "cv-experiment"},
                          "Start a class experiment");
    experiment.addEventListener("click", () => act("experiment", name, undefined,
                                                   {running: !info.lessons[name].experiment}));
    main.replaceChildren(el("section", {class: "cv-lesson", "data-lesson": name,
                                        "aria-labelledby": "cv-lesson-title"},
      el("h2", {id: "cv-lesson-title"}, name, " — ",
         el("span", {class: "cv-lesson-students"}, "0"), " pages open"),
      el("div", {class: "cv-actions cv-lesson-actions"}, pause, experiment,
         el("span", {class: "cv-paused-note"})),
      el("section", {class: "cv-experiment-box", "aria-labelledby": "cv-experiment-title"},
         el("h3", {id: "cv-experiment-title"}, "Class experiment"),
         el("div", {class: "cv-axes"},
            el("label", {for: "cv-x"}, "x"), el("select", {id: "cv-x", class: "cv-axis"}),
            el("label", {for: "cv-y"}, "y"), el("select", {id: "cv-y", class: "cv-axis"})),
         el("div", {class: "cv-plot"})),
      ...steps));
    for (const s of main.querySelectorAll(".cv-axis")) {
      s.addEventListener("change", () => {
        s.dataset.chosen = s.value;
        plotKey = null;
        paintExperiment();
      });
    }
  }

  function paint() {
    if (!info || !summary) return;
    build();
    $("cv-students").textContent = summary.students;
    const name = $("cv-main").dataset.lesson;
    const lesson = summary.lessons[name];
    if (!lesson) return;
    document.querySelector(".cv-lesson-students").textContent = lesson.students;
    const paused = Boolean(info.lessons[name].paused);
    document.querySelector(".cv-pause").textContent =
      paused ? "Resume this lesson" : "Pause this lesson";
    document.querySelector(".cv-paused-note").textContent =
      paused ? "Paused: the students' controls are held." : "";
    document.querySelector(".cv-experiment").textContent = info.lessons[name].experiment
      ? "Stop the class experiment" : "Start a class experiment";
    paintExperiment();
    const pace = info.lessons[name].pace;
    for (const section of document.querySelectorAll(".cv-step")) {
      const n = section.dataset.step;
      const s = lesson.steps[n];
      const most = Math.max(1, ...Object.values(s.answers));
      // While a vote is open the class's split is not shown (the page may be projected).
      const hidden = Boolean(s.open);
      for (const li of section.querySelectorAll(".cv-choice")) {
        const count = s.answers[li.dataset.choice] || 0;
        li.querySelector(".cv-count").textContent = hidden ? "–" : count;
        li.querySelector(".cv-bar").style.width = hidden ? "0%" : `${(100 * count) / most}%`;
      }
      paintVote(section, n, s, info.lessons[name].steps[n - 1].choices);
      section.querySelector(".cv-answered-n").textContent = s.answered;
      const reveal = section.querySelector(".cv-reveal");
      reveal.disabled = s.revealed;
      reveal.textContent = s.revealed ? `Step ${n} revealed` : `Reveal step ${n}`;
      section.classList.toggle("cv-paced", String(pace) === n);
      section.querySelector(".cv-here").textContent =
        String(pace) === n ? "The class was brought here" : "";
    }
  }

  // The vote's button and the rounds side by side, with the shift from the first to the last.
  function paintVote(section, n, s, texts) {
    const rounds = s.rounds || [];
    const last = rounds.length;
    const vote = section.querySelector(".cv-vote");
    vote.textContent = s.open ? `Close the vote on step ${n}`
      : last ? `Open round ${last + 1} of step ${n}` : `Open a vote on step ${n}`;
    section.classList.toggle("cv-voting", Boolean(s.open));
    const box = section.querySelector(".cv-rounds");
    const key = JSON.stringify([rounds, s.open]);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    if (!last) { box.replaceChildren(); return; }
    const heads = rounds.map((_, r) => el("th", {scope: "col"}, `Round ${r + 1}`));
    const shown = (r) => !(s.open && r === last - 1);
    const choices = Object.keys(rounds[0].answers);
    const rows = choices.map((c) => {
      const cells = rounds.map((round, r) => el("td", {"data-round": r + 1},
        shown(r) ? String(round.answers[c]) : "vote open"));
      const row = el("tr", {"data-choice": c}, el("th", {scope: "row"}, texts[c - 1] || c),
                     ...cells);
      if (last > 1) {
        const d = s.open ? null : rounds[last - 1].answers[c] - rounds[0].answers[c];
        row.append(el("td", {class: "cv-shift"},
          d === null ? "" : d > 0 ? `+${d}` : String(d)));
      }
      return row;
    });
    const answered = el("tr", {}, el("th", {scope: "row"}, "Answered"),
      ...rounds.map((round) => el("td", {}, String(round.answered))),
      ...(last > 1 ? [el("td", {})] : []));
    box.replaceChildren(el("table", {class: "cv-rounds-table"},
      el("caption", {}, s.open ? `Step ${n}: round ${last} is open; its split is hidden`
                               : `Step ${n}: the vote's rounds`),
      el("thead", {}, el("tr", {}, el("td", {}), ...heads,
                         ...(last > 1 ? [el("th", {scope: "col"}, "Shift")] : []))),
      el("tbody", {}, ...rows, answered)));
  }

  // The class experiment: one point per page, drawn by the lessons' own figure renderer
  // (figure.js, as the lessons' live figures) from the record the class view builds; a click
  // on a point, or its link in the list under the figure, opens that page's configuration.
  let points = null;      // {lesson, running, points}
  let plotKey = null;
  let unmount = null;     // ends the figure drawn last
  const FIGURE_JS = new URL("figure.js", document.currentScript.src).href;
  let figureJs = null;
  const numeric = (pts, part) => {
    const keys = [];
    for (const p of pts) {
      for (const [k, v] of Object.entries(p[part])) {
        if (typeof v === "number" && !keys.includes(k)) keys.push(k);
      }
    }
    return keys;
  };
  const fmt = (v) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(2) : String(Math.round(v * 1000) / 1000));

  // An axis keeps what the lecturer chose; until then it follows what differs between points.
  function fillAxis(select, options, preferred) {
    const values = options.map((o) => o.join(":"));
    if (select.dataset.options !== values.join("|")) {
      select.dataset.options = values.join("|");
      select.replaceChildren(...options.map(([part, k]) =>
        el("option", {value: `${part}:${k}`}, `${k} (${part})`)));
    }
    const chosen = select.dataset.chosen;
    select.value = chosen && values.includes(chosen) ? chosen : preferred;
  }

  // What figure.js reads from a lesson's figure widget, for a record fetched once: its spec,
  // its arrays (sent as base64), its text alternative; a click comes back as `send`.
  function recordModel(got, onClick) {
    const arrays = {};
    for (const [ref, b64] of Object.entries(got.arrays)) {
      const text = atob(b64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      arrays[ref] = bytes.buffer;
    }
    // In the page's large type: the lessons' projector mode scales a figure's type and lines.
    const state = {spec: got.spec, arrays, description: got.description, version: 1,
                   scale: 1.3, saveable: false};
    return {get: (k) => state[k], on() {}, off() {},
            send: (msg) => { if (msg && msg.type === "click") onClick(msg); }};
  }

  // The point nearest a click (in the axes' own scale), if it is within 4 % of both spans.
  function nearest(got, msg) {
    const axes = got.spec.panels[0];
    const f = (axis) => (axis.scale === "log" ? Math.log10 : (v) => v);
    const d = (axis, a, b) => Math.abs(f(axis)(a) - f(axis)(b)) /
      Math.abs(f(axis)(axis.limits[1]) - f(axis)(axis.limits[0]));
    let best = null, bestD = 0.04;
    got.points.forEach((p, i) => {
      const dist = Math.max(d(axes.x, p.x, msg.x), d(axes.y, p.y, msg.y));
      if (dist <= bestD) { best = i; bestD = dist; }
    });
    return best;
  }

  async function paintExperiment() {
    const box = document.querySelector(".cv-experiment-box");
    const name = $("cv-main").dataset.lesson;
    if (!box || !points || points.lesson !== name) return;
    const pts = points.points;
    box.hidden = !points.running && pts.length === 0;
    const options = [...numeric(pts, "settings").map((k) => ["settings", k]),
                     ...numeric(pts, "result").map((k) => ["result", k])];
    // By default the setting and the result that differ between the points.
    const varying = (part) => numeric(pts, part).find((k) =>
      new Set(pts.map((p) => p[part][k])).size > 1) || numeric(pts, part)[0];
    const varies = varying("settings");
    const firstResult = varying("result");
    fillAxis($("cv-x"), options, `settings:${varies}`);
    fillAxis($("cv-y"), options, firstResult ? `result:${firstResult}` : `settings:${varies}`);
    const x = $("cv-x").value, y = $("cv-y").value;
    const key = JSON.stringify([pts, x, y, points.running]);
    if (key === plotKey) return;
    plotKey = key;
    const plot = box.querySelector(".cv-plot");
    const count = el("p", {class: "cv-plot-count", role: "status"});
    const said = (drawn) => `${pts.length} point${pts.length === 1 ? "" : "s"}` +
      (points.running ? " so far: students press Send my result." : ".") +
      (drawn < pts.length ? ` ${pts.length - drawn} without both values.` : "");
    if (!x || !y) {                    // no point yet: nothing to draw
      if (unmount) { unmount(); unmount = null; }
      count.textContent = said(0);
      plot.replaceChildren(count);
      return;
    }
    let got;
    try {
      figureJs = figureJs || (await import(FIGURE_JS)).default;
      got = await call(`/api/experiment/figure?lesson=${encodeURIComponent(name)}` +
                       `&x=${encodeURIComponent(x)}&y=${encodeURIComponent(y)}`);
    } catch (e) {
      plotKey = null;                  // tried again at the next poll
      status(`The class's plot could not be drawn: ${e.message}`);
      return;
    }
    if (key !== plotKey) return;       // the lecturer chose other axes meanwhile
    const [, xk] = x.split(":"), [, yk] = y.split(":");
    const open = (i) => window.open(got.points[i].link, "_blank", "noopener");
    const figure = el("div", {class: "cv-plot-figure"});
    const links = el("ol", {class: "cv-point-links", "aria-label": "Each point's configuration"},
      ...got.points.map((p, i) => el("li", {},
        el("a", {href: p.link, target: "_blank", rel: "noopener", class: "cv-point",
                 "data-point": i + 1, "data-x": p.x, "data-y": p.y},
           `Point ${i + 1}: ${xk} ${fmt(p.x)}, ${yk} ${fmt(p.y)}`))));
    count.textContent = said(got.points.length);
    if (unmount) unmount();
    plot.replaceChildren(count, figure, links);
    const model = recordModel(got, (msg) => {
      const i = nearest(got, msg);
      if (i !== null) open(i);
    });
    unmount = figureJs.render({model, el: figure});
  }

  async function pollExperiment() {
    const name = info && $("cv-main").dataset.lesson;
    if (name && (info.lessons[name]?.experiment || !points || points.lesson !== name)) {
      try {
        const got = await call(`/api/experiment?lesson=${encodeURIComponent(name)}`);
        points = {lesson: name, ...got};
        paintExperiment();
      } catch (e) { /* said by poll */ }
    }
    setTimeout(pollExperiment, POLL_MS * 2);
  }

  async function act(action, lesson, step, more) {
    try {
      const body = step === undefined ? {lesson, ...more} : {lesson, step, ...more};
      await call(`/api/${action}`, body);
      info = await call("/api/lessons");
      summary = await call("/api/summary");
      paint();
      status(action === "pace" ? `The class was brought to step ${step}.`
             : action === "reveal" ? `Step ${step}'s answer was revealed.`
             : action === "vote" ? (more.open ? `A vote on step ${step} is open.`
                                              : `The vote on step ${step} is closed.`)
             : action === "pause" ? (more.paused ? `${lesson} is paused.` : `${lesson} resumed.`)
             : action === "experiment" ? (more.running ? "The class experiment runs."
                                                       : "The class experiment stopped.")
             : `The answers to ${lesson} were cleared.`);
    } catch (e) {
      status(`Could not ${action}: ${e.message}`);
    }
  }

  async function poll() {
    try {
      summary = await call("/api/summary");
      paint();
    } catch (e) {
      status(`The class's answers could not be read: ${e.message}`);
    }
    setTimeout(poll, POLL_MS);
  }

  async function refreshInfo() {
    try {
      info = await call("/api/lessons");
      paint();
    } catch (e) { /* said by poll */ }
    setTimeout(refreshInfo, INFO_MS);
  }

  $("cv-lesson").addEventListener("change", (e) => { chosen = e.target.value; paint(); });
  $("cv-hide-answers").addEventListener("change", (e) => {
    document.body.classList.toggle("cv-hide", e.target.checked);
  });
  $("cv-export").addEventListener("click", async () => {
    try {
      const text = await call("/api/summary.csv");
      const a = el("a", {href: URL.createObjectURL(new Blob([text], {type: "text/csv"})),
                         download: "bpttviz-class.csv"});
      document.body.append(a);
      a.click();
      a.remove();
      status("The counts were exported as bpttviz-class.csv.");
    } catch (e) {
      status(`Could not export: ${e.message}`);
    }
  });
  $("cv-clear").addEventListener("click", () => {
    const name = $("cv-main").dataset.lesson;
    if (name && confirm(`Forget every answer, the pace and the reveals of ${name}?`)) {
      act("clear", name);
    }
  });

  (async () => {
    try {
      info = await call("/api/lessons");
      summary = await call("/api/summary");
      paint();
    } catch (e) {
      status(`The class view could not be read: ${e.message}`);
    }
    setTimeout(poll, POLL_MS);
    setTimeout(refreshInfo, INFO_MS);
    pollExperiment();
  })();
})();
