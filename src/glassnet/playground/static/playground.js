// glassnet playground: the page's script. Plain JavaScript, SVG and canvas; everything it needs comes
// from the glassnet server that serves it (the page works offline). The server trains; this draws.
"use strict";

const state = {
  id: null, settings: null, choices: null, points: null, last: null,
  history: { step: [], train_loss: [], test_loss: [] },
  playing: false, busy: false, selected: null, dirty: null,
};
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const FEATURE_LABELS = {
  "x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁·x₂", "sin_x1": "sin x₁", "sin_x2": "sin x₂",
};
const COLOURS = { class0: [242, 142, 43], class1: [44, 127, 184], middle: [250, 250, 250] };

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (failure) {
    throw new Error("the glassnet server does not answer (was it stopped?)");
  }
  let data;
  try { data = await response.json(); } catch (failure) { data = { error: `HTTP ${response.status}` }; }
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// ---- settings ---------------------------------------------------------------------------------------
const FIELDS = ["dataset", "noise", "test_fraction", "samples", "seed", "hidden", "activation", "loss",
  "optimizer", "convention", "lr", "batch_size", "regularization", "rate"];
const INTEGER = new Set(["samples", "seed", "batch_size"]);

function fillForm(defaults, choices) {
  for (const [key, values] of Object.entries(choices)) {
    const select = $(key);
    if (!select || select.tagName !== "SELECT") continue;
    for (const value of values) {
      const option = document.createElement("option");
      option.value = value; option.textContent = value;
      select.appendChild(option);
    }
  }
  for (const key of FIELDS) {
    $(key).value = key === "hidden" ? defaults.hidden.join(", ") : defaults[key];
    $(key).addEventListener("change", settingsChanged);
  }
  const box = $("features");
  for (const name of choices.features) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox"; input.value = name; input.checked = defaults.features.includes(name);
    input.addEventListener("change", settingsChanged);
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + (FEATURE_LABELS[name] || name)));
    box.appendChild(label);
  }
}

// Read the form as the server's settings; a value the form cannot turn into a number is sent as it is,
// so the server's one-line message names it.
function readForm() {
  const settings = {};
  for (const key of FIELDS) {
    const raw = $(key).value.trim();
    if (key === "hidden") {
      settings.hidden = raw === "" ? [] : raw.split(",").map((s) => (/^\s*\d+\s*$/.test(s) ? parseInt(s, 10) : s.trim()));
    } else if ($(key).type === "number") {
      const number = Number(raw);
      settings[key] = raw === "" || Number.isNaN(number) ? raw : (INTEGER.has(key) && Number.isInteger(number) ? number : number);
    } else {
      settings[key] = raw;
    }
  }
  settings.features = [...document.querySelectorAll("#features input:checked")].map((input) => input.value);
  return settings;
}

function settingsChanged() {
  clearTimeout(state.dirty);
  state.dirty = setTimeout(() => reset().catch((failure) => showError(failure.message)), 150);
}

// ---- session ----------------------------------------------------------------------------------------
async function reset() {
  const settings = readForm();
  const wasPlaying = state.playing;
  pause();
  await waitIdle();
  const data = state.id
    ? await api("POST", `/api/session/${state.id}/reset`, { settings })
    : await api("POST", "/api/session", { settings });
  if (data.id) state.id = data.id;
  state.settings = settings;
  state.points = data.points;
  state.history = { step: [], train_loss: [], test_loss: [] };
  state.selected = null;
  clearWorked();
  showError("");
  updateExports();
  draw(data.state);
  document.body.dataset.session = state.id;
  document.body.dataset.resets = Number(document.body.dataset.resets || 0) + 1;
  if (wasPlaying) play();
}

function waitIdle() {
  return new Promise((resolve) => {
    const check = () => (state.busy ? setTimeout(check, 20) : resolve());
    check();
  });
}

async function train(steps) {
  state.busy = true;
  document.body.dataset.busy = "true";
  try {
    const data = await api("POST", `/api/session/${state.id}/train`, { steps, since: state.history.step.length });
    showError("");
    draw(data);
    return data;
  } finally {
    state.busy = false;
    document.body.dataset.busy = "false";
  }
}

function stepsPerRequest() {
  const points = state.points ? state.points.train.length : 100;
  const batch = Math.max(1, Number(state.settings.batch_size) || 1);
  return Math.max(1, Math.min(200, Math.ceil(points / batch)));  // about one epoch per frame
}

async function loop() {
  while (state.playing) {
    try {
      await train(stepsPerRequest());
    } catch (failure) {
      showError(failure.message);
      pause();
      return;
    }
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  }
}

function play() {
  if (state.playing || !state.id) return;
  state.playing = true;
  $("play").innerHTML = "&#x23F8; Pause";
  $("play").classList.add("playing");
  loop();
}

function pause() {
  state.playing = false;
  $("play").innerHTML = "&#x25B6; Play";
  $("play").classList.remove("playing");
}

// ---- drawing ----------------------------------------------------------------------------------------
function draw(data) {
  state.last = data;
  for (const key of Object.keys(state.history)) state.history[key].push(...data.history[key]);
  $("steps").textContent = data.steps;
  $("epochs").textContent = data.epochs;
  $("test-loss").textContent = data.test_loss.toFixed(4);
  $("train-loss").textContent = data.train_loss.toFixed(4);
  $("test-loss").dataset.value = data.test_loss;
  drawNetwork(data);
  drawBoundary(data);
  drawLosses();
}

function layerSizes(data) {
  return [data.features.length, ...data.layers.map((layer) => layer.bias.length)];
}

function nodePositions(data) {
  const svg = $("network");
  const width = svg.width.baseVal.value, height = svg.height.baseVal.value;
  const sizes = layerSizes(data);
  return sizes.map((size, l) => {
    const x = 50 + (l * (width - 100)) / Math.max(1, sizes.length - 1);
    return Array.from({ length: size }, (_, i) => ({ x, y: ((i + 1) * height) / (size + 1) }));
  });
}

function drawNetwork(data) {
  const svg = $("network");
  svg.replaceChildren();
  const nodes = nodePositions(data);
  let largest = 1e-9;
  for (const layer of data.layers) for (const row of layer.weight) for (const w of row) largest = Math.max(largest, Math.abs(w));
  data.layers.forEach((layer, l) => {
    layer.weight.forEach((row, i) => row.forEach((w, j) => {
      const a = nodes[l][i], b = nodes[l + 1][j];
      const line = element("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: "weight",
        stroke: w >= 0 ? "#2c7fb8" : "#f28e2b", "stroke-width": 0.5 + 5.5 * Math.abs(w) / largest,
        "stroke-opacity": 0.35 + 0.6 * Math.abs(w) / largest });
      svg.appendChild(line);
      const hit = element("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: "hit",
        "data-parameter": `${l}.weight`, "data-index": `${i},${j}`, id: `w-${l}-${i}-${j}` });
      const title = element("title", {});
      title.textContent = `w${sub(i + 1)}${sub(j + 1)}⁽${sup(l + 1)}⁾ = ${w.toFixed(6)} (from ${l === 0 ? "input" : "unit"} ${i + 1} to unit ${j + 1} of layer ${l + 1})`;
      hit.appendChild(title);
      hit.addEventListener("click", () => select(`${l}.weight`, [i, j]));
      svg.appendChild(hit);
    }));
  });
  nodes.forEach((column, l) => column.forEach((p, i) => {
    const input = l === 0;
    const circle = element("circle", { cx: p.x, cy: p.y, r: input ? 13 : 11, class: input ? "neuron input" : "neuron",
      id: input ? `x-${i}` : `b-${l - 1}-${i}` });
    if (!input) {
      circle.dataset.parameter = `${l - 1}.bias`;
      circle.dataset.index = `${i}`;
      const title = element("title", {});
      title.textContent = `unit ${i + 1} of layer ${l}: bias b${sub(i + 1)}⁽${sup(l)}⁾ = ${data.layers[l - 1].bias[i].toFixed(6)}`;
      circle.appendChild(title);
      circle.addEventListener("click", () => select(`${l - 1}.bias`, [i]));
    }
    svg.appendChild(circle);
    if (input) {
      const label = element("text", { x: p.x - 18, y: p.y + 4, "text-anchor": "end" });
      label.textContent = FEATURE_LABELS[data.features[i]] || data.features[i];
      svg.appendChild(label);
    }
  }));
  highlight();
}

function sub(n) {
  return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}

function sup(n) {
  return String(n).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);
}

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function blend(p) {
  // p = P(class 1): orange below 0.5, blue above, pale near the boundary
  const target = p >= 0.5 ? COLOURS.class1 : COLOURS.class0;
  const t = Math.min(1, Math.abs(p - 0.5) * 2) * 0.75;
  return COLOURS.middle.map((m, k) => Math.round(m + (target[k] - m) * t));
}

function drawBoundary(data) {
  const canvas = $("boundary"), context = canvas.getContext("2d");
  const n = data.grid_size, small = document.createElement("canvas");
  small.width = n; small.height = n;
  const image = small.getContext("2d").createImageData(n, n);
  data.grid.forEach((p, k) => {
    const [r, g, b] = blend(p);
    image.data.set([r, g, b, 255], 4 * k);
  });
  small.getContext("2d").putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
  const [x0, y0, x1, y1] = data.box;
  const toCanvas = ([x, y]) => [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
  const dots = (points, labels, filled) => points.forEach((point, k) => {
    const [cx, cy] = toCanvas(point);
    const colour = `rgb(${(labels[k] ? COLOURS.class1 : COLOURS.class0).join(",")})`;
    context.beginPath();
    context.arc(cx, cy, 3.2, 0, 2 * Math.PI);
    context.fillStyle = filled ? colour : "#fff";
    context.strokeStyle = filled ? "#fff" : colour;
    context.lineWidth = filled ? 1 : 1.8;
    context.fill(); context.stroke();
  });
  if (state.points) {
    dots(state.points.train, state.points.train_labels, true);
    dots(state.points.test, state.points.test_labels, false);
  }
}

function drawLosses() {
  const canvas = $("losses"), context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const { step, train_loss: trainLoss, test_loss: testLoss } = state.history;
  if (step.length < 1) return;
  const top = Math.max(1e-9, ...trainLoss, ...testLoss), last = Math.max(1, step[step.length - 1]);
  const line = (values, colour) => {
    context.beginPath();
    values.forEach((v, k) => {
      const x = 4 + (step[k] / last) * (canvas.width - 8), y = canvas.height - 4 - (v / top) * (canvas.height - 20);
      if (k === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.strokeStyle = colour; context.lineWidth = 1.5; context.stroke();
  };
  line(trainLoss, "#aaa");
  line(testLoss, "#222");
  context.fillStyle = "#555"; context.font = "11px sans-serif";
  context.fillText(`max ${top.toFixed(3)}`, 6, 12);
}

// ---- worked solutions -------------------------------------------------------------------------------
function highlight() {
  for (const node of document.querySelectorAll("#network .selected")) node.classList.remove("selected");
  if (!state.selected) return;
  const [parameter, index] = state.selected;
  const found = document.querySelector(`#network [data-parameter="${parameter}"][data-index="${index.join(",")}"]`);
  if (found) found.classList.add("selected");
}

function clearWorked() {
  $("worked").replaceChildren();
  $("gradient-line").hidden = true;
  $("worked-about").textContent = "click a weight or a neuron after a step";
}

async function select(parameter, index) {
  state.selected = [parameter, index];
  highlight();
  await explain();
}

async function explain() {
  if (!state.selected || !state.id) return;
  const [parameter, index] = state.selected;
  await waitIdle();
  try {
    const data = await api("POST", `/api/session/${state.id}/explain`, { parameter, index, format: "html" });
    $("worked").innerHTML = data.document;  // glassnet's own HTML renderer (it escapes every text)
    const layer = sup(Number(parameter.split(".")[0]) + 1);
    const name = parameter.endsWith("bias") ? `∂L/∂b${sub(index[0] + 1)}⁽${layer}⁾`
      : `∂L/∂w${sub(index[0] + 1)}${sub(index[1] + 1)}⁽${layer}⁾`;
    $("gradient-name").textContent = name;
    $("gradient").textContent = data.gradient.toPrecision(12);
    $("gradient").dataset.value = String(data.gradient);
    $("gradient-step").textContent = data.step;
    $("gradient-line").hidden = false;
    $("worked-about").textContent = `${parameter} [${index.join(", ")}], step ${data.step}`;
    const query = `parameter=${encodeURIComponent(parameter)}&index=${index.join(",")}`;
    $("export-md").href = `/api/session/${state.id}/export/step?${query}&format=md`;
    $("export-tex").href = `/api/session/${state.id}/export/step?${query}&format=tex`;
    showError("");
  } catch (failure) {
    showError(failure.message);
  }
}

function updateExports() {
  $("export-model").href = `/api/session/${state.id}/export/model`;
  $("export-run").href = `/api/session/${state.id}/export/run`;
}

// ---- start ------------------------------------------------------------------------------------------
async function start() {
  const { defaults, choices } = await api("GET", "/api/defaults");
  state.choices = choices;
  fillForm(defaults, choices);
  $("reset").addEventListener("click", () => reset().catch((failure) => showError(failure.message)));
  $("play").addEventListener("click", () => (state.playing ? pause() : play()));
  $("step").addEventListener("click", async () => {
    pause();
    await waitIdle();
    try {
      await train(1);
      if (state.selected) await explain();
    } catch (failure) {
      showError(failure.message);
    }
  });
  window.addEventListener("pagehide", () => {
    if (state.id) navigator.sendBeacon(`/api/session/${state.id}/close`);
  });
  await reset();
  document.body.dataset.ready = "true";
}

start().catch((failure) => showError(failure.message));
