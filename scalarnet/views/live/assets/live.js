(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($('data').textContent);
  const words = data.words;
  const stage = $('stage'), canvas = $('canvas'), slider = $('slider'), choose = $('param');
  const prev = $('prev'), next = $('next'), play = $('play');
  let file = data;  // the file as last read well: version, title, params, controls
  let state = null;  // the last state the server sent without an error: one step, and every step's frame count
  let k = 0;  // the frame on show, counted over every step
  let overrides = {};  // the values that differ from the file's, by control key
  let param = data.param;
  let position = null;  // (step, frame), both from 1: where to go when the next state arrives
  let shownSvg = null, shownTable = null, zoom = null, timer = null;
  let busy = false, again = false, changedAt = null;
  let fileError = '', stateError = '';
  const svgs = new Map();  // picture key -> SVG, at the values of `state`
  const asked = new Set();  // picture keys requested and not arrived yet
  const latencies = [], computed = [];  // input to repaint, and the server's part of it, ms
  let lastCompute = null;
  window.scalarnetLive = { latencies, computed };  // benchmarks/serve_latency.py reads them

  // -- the address: #step=1&frame=3&param=w5&v.w5=0.42&lr=0.3 -----------------------------
  const urlKey = (key) => (key === '@lr' ? 'lr' : 'v.' + key);
  function readAddress() {
    const args = new URLSearchParams(location.hash.slice(1));
    if (args.get('param')) param = args.get('param');
    overrides = {};
    file.controls.forEach((c) => {
      const v = args.get(urlKey(c.key));
      if (v !== null && v !== '' && isFinite(+v)) overrides[c.key] = +v;
    });
    const step = parseInt(args.get('step') || '1', 10) || 1, frame = parseInt(args.get('frame') || '1', 10) || 1;
    position = [step, frame];
  }
  function writeAddress() {
    const args = new URLSearchParams();
    args.set('step', state.step + 1); args.set('frame', k - state.first + 1); args.set('param', param);
    Object.keys(overrides).forEach((key) => args.set(urlKey(key), overrides[key]));
    history.replaceState(null, '', '#' + args.toString());
  }

  // -- the values -----------------------------------------------------------------------------
  function valueOf(c) { return c.key in overrides ? overrides[c.key] : c.value; }
  function buildControls() {
    const panel = $('values');
    panel.textContent = '';
    let group = null;
    file.controls.forEach((c) => {
      if (!group || group.dataset.kind !== c.kind) {
        group = document.createElement('fieldset');
        group.dataset.kind = c.kind;
        const legend = document.createElement('legend');
        legend.textContent = words.groups[c.kind];
        group.appendChild(legend);
        panel.appendChild(group);
      }
      const row = document.createElement('div');
      row.className = 'value';
      row.dataset.key = c.key;
      const label = document.createElement('label');
      label.textContent = c.key === '@lr' ? c.name : c.key;
      label.htmlFor = 'range-' + c.key;
      const range = document.createElement('input');
      Object.assign(range, { type: 'range', id: 'range-' + c.key, min: c.low, max: c.high, step: c.step });
      const box = document.createElement('input');
      Object.assign(box, { type: 'number', step: 'any' });
      box.setAttribute('aria-label', label.textContent);
      range.value = box.value = valueOf(c);
      range.addEventListener('input', () => { box.value = range.value; set(c, +range.value); });
      box.addEventListener('input', () => {
        if (box.value === '' || !isFinite(+box.value)) return;
        range.value = box.value; set(c, +box.value);
      });
      row.append(label, range, box);
      group.appendChild(row);
    });
    choose.textContent = '';
    file.params.forEach((p) => choose.add(new Option(p, p, false, p === param)));
    if (!file.params.includes(param)) param = file.param;
    choose.value = param;
  }
  function syncControls() {
    file.controls.forEach((c) => {
      const row = document.querySelector('#values [data-key="' + CSS.escape(c.key) + '"]');
      if (!row) return;
      const [range, box] = row.querySelectorAll('input');
      range.value = box.value = valueOf(c);
      row.classList.toggle('changed', c.key in overrides);
    });
  }
  function set(c, value) {
    if (value === c.value) delete overrides[c.key]; else overrides[c.key] = value;
    const row = document.querySelector('#values [data-key="' + CSS.escape(c.key) + '"]');
    if (row) row.classList.toggle('changed', c.key in overrides);
    if (changedAt === null) changedAt = performance.now();
    ask();
  }

  // -- talking to the server --------------------------------------------------------------------
  function post(url, body) {
    return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                        body: JSON.stringify(Object.assign({ file: data.file, values: overrides }, body)) })
      .then((r) => {
        const timing = /dur=([\d.]+)/.exec(r.headers.get('Server-Timing') || '');
        lastCompute = timing ? +timing[1] : null;
        return r.json();
      });
  }
  function ask() {  // one request at a time; the values moved meanwhile go in the next
    if (busy) { again = true; return; }
    busy = true; again = false;
    const started = changedAt; changedAt = null;
    const where = position ? { step: position[0], frame: position[1] } : { step: state.step + 1, frame: k - state.first + 1 };
    post('api/state', Object.assign({ param: param }, where)).then((s) => {
      if (s.error) { stateError = s.error; showError(); } else { stateError = ''; apply(s, started); }
    }).catch(() => { stateError = words.lost; showError(); })
      .finally(() => { busy = false; if (again) ask(); });
  }
  function fetchPicture(key) {
    if (asked.has(key)) return;
    asked.add(key);
    const forState = state;
    post('api/picture', { key: key }).then((p) => {
      asked.delete(key);
      if (forState !== state || !p || p.error) return;
      svgs.set(key, p.svg);
      if (frameAt(k).picture === key) show(k);
    }).catch(() => asked.delete(key));
  }
  function poll() {
    fetch('api/file?file=' + encodeURIComponent(data.file)).then((r) => r.json()).then((f) => {
      fileError = f.error || '';
      if (f.controls && f.version !== file.version) {  // saved: the file's numbers are the ones to show
        file = f; overrides = {};
        buildControls(); ask();
        $('title').textContent = f.title;
        $('status').textContent = words.reloaded.replace('{time}', new Date().toLocaleTimeString());
      }
      showError();
    }).catch(() => { fileError = words.lost; showError(); });
  }
  function showError() {
    const text = fileError || stateError;
    $('error').hidden = !text;
    $('error').textContent = text;
    document.body.classList.toggle('failing', !!text);
  }

  // -- the page -------------------------------------------------------------------------------
  const total = () => state.counts.reduce((a, b) => a + b, 0);
  const frameAt = (i) => state.frames[i - state.first];
  function apply(s, started) {
    if (!state || s.version !== state.version || JSON.stringify(s.values) !== JSON.stringify(state.values)) svgs.clear();
    state = s;
    position = null;
    if (s.picture) svgs.set(s.picture.key, s.picture.svg);
    param = s.param;
    choose.value = param;
    slider.max = total() - 1;
    syncControls();
    $('note').hidden = !s.note; $('note').textContent = s.note;
    show(s.frame);
    document.body.dataset.state = (+(document.body.dataset.state || 0) + 1).toString();
    document.body.dataset.version = s.version;
    if (started !== null) {  // after the next paint: the frame's callbacks run before it, a task after it
      const compute = lastCompute;
      requestAnimationFrame(() => setTimeout(() => { computed.push(compute); latencies.push(performance.now() - started); }, 0));
    }
  }
  function svg() { return canvas.querySelector('svg'); }
  function natural() {  // the picture's size at 100 %: Graphviz draws in points
    const box = svg().viewBox.baseVal;
    return [box.width * 4 / 3, box.height * 4 / 3];
  }
  function fitZoom() {
    const [w, h] = natural();
    return Math.min((stage.clientWidth - 4) / w, (stage.clientHeight - 4) / h);
  }
  function readableZoom() {  // the smallest text at least 11 CSS px high
    const sizes = [...svg().querySelectorAll('text')].map((t) => parseFloat(t.getAttribute('font-size') || '14'));
    const smallest = Math.min(...sizes.filter((size) => size > 0));
    return isFinite(smallest) ? 11 / (smallest * 4 / 3) : 1;
  }
  function applyZoom(z) {
    const s = svg(); if (!s) return;
    if (z !== undefined) zoom = z;
    if (zoom === null) zoom = Math.max(fitZoom(), readableZoom());  // readable first, as the viewer opens
    const [w, h] = natural();
    s.setAttribute('width', w * zoom); s.setAttribute('height', h * zoom);
  }
  function mark(frame) {
    canvas.querySelectorAll('.hl, .now, .pending').forEach((el) => el.classList.remove('hl', 'now', 'pending'));
    const find = (id) => canvas.querySelector('[id="' + CSS.escape(id) + '"]');
    const add = (ids, name) => ids.forEach((id) => { const el = find(id); if (el) el.classList.add(name); });
    add(state.highlight, 'hl'); add(frame.current, 'now'); add(frame.pending, 'pending');
  }
  function show(i) {
    i = Math.max(0, Math.min(total() - 1, i));
    if (i < state.first || i >= state.first + state.frames.length) {  // another step: ask for it
      let step = 0, first = 0;
      while (i >= first + state.counts[step]) first += state.counts[step++];
      position = [step + 1, i - first + 1];
      ask();
      return;
    }
    k = i;
    const frame = frameAt(k);
    const picture = frame.picture ? svgs.get(frame.picture) : null;
    if (picture && picture !== shownSvg) {  // one layout: the new picture's boxes are where the old ones were
      canvas.innerHTML = picture;
      shownSvg = picture;
      applyZoom();
    } else if (frame.picture && !picture) {
      fetchPicture(frame.picture);
    }
    if (svg()) mark(frame);
    if (state.table !== shownTable) { $('tables').innerHTML = state.table; shownTable = state.table; }
    $('frame-style').textContent = frame.style;
    $('derivation').textContent = state.derivation;
    $('label').textContent = frame.label;
    $('narration').textContent = frame.narration;
    $('where').textContent = words.where.replace('{k}', k + 1).replace('{n}', total());
    slider.value = k;
    prev.disabled = k === 0;
    next.disabled = k === total() - 1;
    document.body.dataset.current = k;
    writeAddress();
    const after = frameAt(k + 1);  // the next frame's picture, ahead of the → key
    if (after && after.picture && !svgs.has(after.picture)) fetchPicture(after.picture);
  }

  function stop() { clearInterval(timer); timer = null; play.textContent = '\u25B6 ' + words.play; }
  function toggle() {
    if (timer) { stop(); return; }
    if (k === total() - 1) show(0);
    play.textContent = '\u275A\u275A ' + words.pause;
    timer = setInterval(() => { if (k >= total() - 1) stop(); else if (!busy) show(k + 1); }, 900);
  }
  const go = (i) => { if (state) { stop(); show(i); } };
  prev.addEventListener('click', () => go(k - 1));
  next.addEventListener('click', () => go(k + 1));
  play.addEventListener('click', () => { if (state) toggle(); });
  slider.addEventListener('input', () => go(+slider.value));
  choose.addEventListener('change', () => { param = choose.value; ask(); });
  $('reset').addEventListener('click', () => { overrides = {}; syncControls(); ask(); });
  $('fit').addEventListener('click', () => { if (svg()) applyZoom(fitZoom()); });
  $('zoomin').addEventListener('click', () => applyZoom((zoom || 1) * 1.25));
  $('zoomout').addEventListener('click', () => applyZoom((zoom || 1) / 1.25));
  if ($('file')) $('file').addEventListener('change', () => { location.href = '?file=' + encodeURIComponent($('file').value); });
  document.addEventListener('keydown', (e) => {
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName) || e.altKey || e.ctrlKey || e.metaKey || !state) return;
    const keys = { ArrowRight: () => show(k + 1), ArrowLeft: () => show(k - 1), Home: () => show(0),
                   End: () => show(total() - 1) };
    if (keys[e.key]) { e.preventDefault(); stop(); keys[e.key](); }
    else if (e.key === ' ') { e.preventDefault(); toggle(); }
  });
  window.addEventListener('hashchange', () => {  // a pasted address: go there
    readAddress();
    syncControls(); ask();
  });
  readAddress();
  buildControls();
  syncControls();
  ask();
  setInterval(poll, data.poll);
})();
