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

  // The class experiment: one point per page, drawn as an SVG scatter; a point is a link to
  // its page's configuration.
  let points = null;      // {lesson, running, points}
  let plotKey = null;
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }
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

  function paintExperiment() {
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
    const [xp, xk] = $("cv-x").value.split(":");
    const [yp, yk] = $("cv-y").value.split(":");
    const key = JSON.stringify([pts, xp, xk, yp, yk, points.running]);
    if (key === plotKey) return;
    plotKey = key;
    const plot = box.querySelector(".cv-plot");
    const usable = pts.filter((p) => typeof p[xp]?.[xk] === "number" &&
                                     typeof p[yp]?.[yk] === "number");
    const W = 760, H = 360, L = 140, R = 44, T = 16, B = 60;
    const xs = usable.map((p) => p[xp][xk]), ys = usable.map((p) => p[yp][yk]);
    const logY = ys.length > 0 && Math.min(...ys) > 0 && Math.max(...ys) / Math.min(...ys) > 100;
    const ty = (v) => (logY ? Math.log10(v) : v);
    const span = (a) => {
      let lo = Math.min(...a), hi = Math.max(...a);
      if (!(hi > lo)) { lo -= 1; hi += 1; }
      const pad = (hi - lo) * 0.08;
      return [lo - pad, hi + pad];
    };
    const [x0, x1] = usable.length ? span(xs) : [0, 1];
    const [y0, y1] = usable.length ? span(ys.map(ty)) : [0, 1];
    const px = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
    const py = (v) => H - B - ((ty(v) - y0) / (y1 - y0)) * (H - T - B);
    const ticks = (lo, hi) => [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
    const axes = svg("g", {class: "cv-plot-axes"},
      svg("line", {x1: L, y1: H - B, x2: W - R, y2: H - B}),
      svg("line", {x1: L, y1: T, x2: L, y2: H - B}),
      ...ticks(x0, x1).map((v) => svg("text", {x: px(v), y: H - B + 24, "text-anchor": "middle"},
                                      fmt(v))),
      ...ticks(y0, y1).map((v) => svg("text", {x: L - 8, y: H - B - ((v - y0) / (y1 - y0)) *
                                               (H - T - B) + 6, "text-anchor": "end"},
                                      fmt(logY ? 10 ** v : v))),
      svg("text", {x: (L + W - R) / 2, y: H - 10, "text-anchor": "middle"}, xk),
      svg("text", {x: 18, y: (T + H - B) / 2, "text-anchor": "middle",
                   transform: `rotate(-90 18 ${(T + H - B) / 2})`},
          yk + (logY ? " (log)" : "")));
    const marks = usable.map((p, i) => {
      const said = `Point ${i + 1}: ${xk} ${fmt(p[xp][xk])}, ${yk} ${fmt(p[yp][yk])}; ` +
                   "opens its configuration";
      return svg("a", {href: p.link, target: "_blank", rel: "noopener", class: "cv-point",
                       "data-point": i + 1, "aria-label": said},
        svg("title", {}, said),
        svg("circle", {cx: px(p[xp][xk]), cy: py(p[yp][yk]), r: 11}));
    });
    plot.replaceChildren(
      el("p", {class: "cv-plot-count", role: "status"},
         `${pts.length} point${pts.length === 1 ? "" : "s"}` +
         (points.running ? " so far: students press Send my result." : ".") +
         (usable.length < pts.length ? ` ${pts.length - usable.length} without both values.`
                                     : "")),
      svg("svg", {viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "group",
                  "aria-label": `The class's points: ${yk} against ${xk}`}, axes, ...marks));
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
