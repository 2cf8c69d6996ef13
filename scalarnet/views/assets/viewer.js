(function () {
  const data = JSON.parse(document.getElementById('data').textContent);
  const frames = data.frames, n = frames.length, words = data.words;
  const $ = (id) => document.getElementById(id);
  const stage = $('stage'), canvas = $('canvas'), slider = $('slider'), choose = $('param');
  const prev = $('prev'), next = $('next'), play = $('play');
  const SMALLEST = 9, COMFORTABLE = 11;  // CSS px of the smallest text: the least on opening and after
  // "fit" (what does not fit is scrolled to), and the most the opening zooms in for a small path
  let k = -1, shownPicture = -1, timer = null, zoom = null;
  const texts = new Map();  // picture -> its SVG text, rebuilt once
  function pictureText(i) {
    if (texts.has(i)) return texts.get(i);
    const [ref, patch] = data.pictures.pictures[i];
    let text;
    if (ref < 0) {
      text = data.pictures.bases[-1 - ref];
    } else {
      const tokens = pictureText(ref).split(TOKEN), out = [];
      let at = 0;
      for (const [start, end, piece] of patch) { out.push(tokens.slice(at, start).join(''), piece); at = end; }
      out.push(tokens.slice(at).join(''));
      text = out.join('');
    }
    texts.set(i, text);
    return text;
  }
  function svg() { return canvas.querySelector('svg'); }
  function natural() {  // the picture's size at 100 %: Graphviz draws in points
    const box = svg().viewBox.baseVal;
    return [box.width * 4 / 3, box.height * 4 / 3];
  }
  function applyZoom() {
    const s = svg(); if (!s) return;
    const [w, h] = natural();
    s.style.width = (w * zoom) + 'px'; s.style.height = (h * zoom) + 'px';
    s.setAttribute('width', w * zoom); s.setAttribute('height', h * zoom);
    $('zoomlevel').textContent = Math.round(zoom * 100) + ' %';
  }
  const MARGIN = 12;  // CSS px kept around a region brought into view
  function fitZoom(w, h, margin = 2) {  // the zoom that shows w × h (picture px at 100 %) whole
    return Math.min((stage.clientWidth - 2 * margin) / w, (stage.clientHeight - 2 * margin) / h);
  }
  function textZoom(px) {  // the zoom at which the smallest text is px CSS px high (Graphviz sizes it in points)
    let smallest = Infinity;
    svg().querySelectorAll('text').forEach((t) => {
      const size = parseFloat(t.getAttribute('font-size') || '14');
      if (size > 0 && size < smallest) smallest = size;
    });
    return smallest === Infinity ? 1 : px / (smallest * 4 / 3);
  }
  function setZoom(z, cx, cy) {  // keep the point under (cx, cy) of the stage where it is
    const s = svg(); if (!s) return;
    cx = cx === undefined ? stage.clientWidth / 2 : cx; cy = cy === undefined ? stage.clientHeight / 2 : cy;
    const x = (stage.scrollLeft + cx) / zoom, y = (stage.scrollTop + cy) / zoom;
    zoom = Math.max(0.05, Math.min(8, z));
    applyZoom();
    stage.scrollLeft = x * zoom - cx; stage.scrollTop = y * zoom - cy;
  }
  const find = (id) => canvas.querySelector('[id="' + CSS.escape(id) + '"]');
  function region(ids) {  // the box around these elements, in picture px at 100 % (null: none drawn)
    const at = svg().getBoundingClientRect();
    let box = null;
    ids.map(find).filter((el) => el).forEach((el) => {
      const r = el.getBoundingClientRect();
      const [x0, y0] = [(r.left - at.left) / zoom, (r.top - at.top) / zoom];
      const [x1, y1] = [(r.right - at.left) / zoom, (r.bottom - at.top) / zoom];
      box = box ? [Math.min(box[0], x0), Math.min(box[1], y0), Math.max(box[2], x1), Math.max(box[3], y1)]
        : [x0, y0, x1, y1];
    });
    return box;
  }
  function place(box, keep) {  // box in view: centred where it fits, else from its start (the
    // forward pass runs from the left and the top), then keep's box moved into view too
    const margin = MARGIN, [x0, y0, x1, y1] = box.map((v) => v * zoom);
    const width = stage.clientWidth, height = stage.clientHeight;
    stage.scrollLeft = x1 - x0 <= width ? (x0 + x1 - width) / 2 : x0 - margin;
    stage.scrollTop = y1 - y0 <= height ? (y0 + y1 - height) / 2 : y0 - margin;
    reveal(keep);
  }
  function reveal(keep) {  // keep's box into view by the least scroll (null: nothing to keep)
    if (!keep) return;
    const margin = MARGIN, width = stage.clientWidth, height = stage.clientHeight;
    const [a0, b0, a1, b1] = keep.map((v) => v * zoom);
    if (a1 + margin > stage.scrollLeft + width) stage.scrollLeft = a1 + margin - width;
    if (a0 - margin < stage.scrollLeft) stage.scrollLeft = a0 - margin;
    if (b1 + margin > stage.scrollTop + height) stage.scrollTop = b1 + margin - height;
    if (b0 - margin < stage.scrollTop) stage.scrollTop = b0 - margin;
  }
  function whole() { const [w, h] = natural(); return [0, 0, w, h]; }
  function open(frame) {  // on opening only (later frames only scroll their node into view): the frame's
    // forward path whole, but its text no smaller than SMALLEST (the rest is scrolled to) and
    // no larger than the whole picture fitted or COMFORTABLE text, whichever is larger
    zoom = 1; applyZoom();
    const path = region(frame.path) || whole(), [w, h] = natural();
    const most = Math.max(fitZoom(w, h), textZoom(COMFORTABLE));
    setZoom(Math.max(textZoom(SMALLEST), Math.min(most, fitZoom(path[2] - path[0], path[3] - path[1], MARGIN))));
    place(path, region(frame.current));
  }
  function fit() {  // the whole picture, or, where its text would get smaller than SMALLEST, as
    // much as fits at SMALLEST, from the start of the frame's forward path (scroll for the rest)
    const [w, h] = natural(), frame = frames[k];
    setZoom(Math.max(fitZoom(w, h), textZoom(SMALLEST)));
    place(region(frame.path) || whole(), region(frame.current));
  }
  function mark() {
    const frame = frames[k];
    canvas.querySelectorAll('.hl, .now, .pending').forEach((el) => el.classList.remove('hl', 'now', 'pending'));
    const ids = (data.highlights[frame.picture] || {})[choose.value] || [];
    ids.forEach((id) => { const el = find(id); if (el) el.classList.add('hl'); });
    frame.current.forEach((id) => { const el = find(id); if (el) el.classList.add('now'); });
    frame.pending.forEach((id) => { const el = find(id); if (el) el.classList.add('pending'); });
  }
  function table(frame) {
    document.querySelectorAll('#tables > [data-step]').forEach((el) => {
      el.hidden = +el.dataset.step !== frame.step;
    });
    document.querySelectorAll('#tables tr.current').forEach((tr) => tr.classList.remove('current'));
    const rows = document.querySelectorAll('#tables > [data-step="' + frame.step + '"] tbody tr');
    rows.forEach((tr) => {
      const f = +tr.dataset.f, b = +tr.dataset.b;
      const value = frame.phase !== 'forward' || f <= frame.done;
      const grad = frame.phase === 'update' || (frame.phase === 'backward' && b > 0 && b <= frame.done);
      tr.querySelector('td.v').classList.toggle('hidden-cell', !value);
      tr.querySelector('td.g').classList.toggle('hidden-cell', !grad);
      const after = tr.querySelector('td.a');
      if (after) after.classList.toggle('hidden-cell', frame.phase !== 'update');
      tr.classList.toggle('current', frame.node !== '' && tr.dataset.name === frame.node);
    });
  }
  function show(i, write) {
    k = Math.max(0, Math.min(n - 1, i));
    const frame = frames[k];
    if (frame.picture >= 0 && frame.picture !== shownPicture) {
      canvas.innerHTML = pictureText(frame.picture);
      shownPicture = frame.picture;
      if (zoom === null) open(frame); else applyZoom();
    }
    if (frame.picture >= 0) {
      mark();
      reveal(region(frame.current));  // a step to a node off screen scrolls just enough to show it
    }
    table(frame);
    document.querySelectorAll('#derivations > [data-step]').forEach((el) => {
      el.hidden = !(+el.dataset.step === frame.step && el.dataset.param === choose.value);
    });
    document.querySelector('#derivations > .pick').hidden = choose.value !== '';
    slider.value = k;
    $('where').textContent = words.where.replace('{k}', k + 1).replace('{n}', n);
    $('label').textContent = frame.label;
    $('narration').textContent = frame.narration;
    prev.disabled = k === 0;
    next.disabled = k === n - 1;
    document.body.dataset.current = k;  // for tests and scripts: the frame on show
    if (write !== false) {
      const first = frames.findIndex((f) => f.step === frame.step);
      history.replaceState(null, '', '#step=' + data.steps[frame.step] + '&frame=' + (k - first + 1));
    }
  }
  function fromHash() {  // #step=2&frame=5: frame 5 (counted from 1) of training step 2
    const args = new URLSearchParams(location.hash.slice(1));
    const step = data.steps.indexOf(+args.get('step'));
    if (step < 0) return null;
    const first = frames.findIndex((f) => f.step === step);
    const count = frames.filter((f) => f.step === step).length;
    const j = Math.max(1, Math.min(count, parseInt(args.get('frame') || '1', 10) || 1));
    return first + j - 1;
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = '\u25B6 ' + words.play; }
  function toggle() {
    if (timer) { stop(); return; }
    if (k === n - 1) show(0);
    play.textContent = '\u275A\u275A ' + words.pause;
    timer = setInterval(() => { if (k >= n - 1) stop(); else show(k + 1); }, data.interval);
  }
  prev.addEventListener('click', () => { stop(); show(k - 1); });
  next.addEventListener('click', () => { stop(); show(k + 1); });
  slider.addEventListener('input', () => { stop(); show(+slider.value); });
  choose.addEventListener('change', () => show(k));
  play.addEventListener('click', toggle);
  $('fit').addEventListener('click', fit);
  $('actual').addEventListener('click', () => setZoom(1));
  $('zoomin').addEventListener('click', () => setZoom(zoom * 1.25));
  $('zoomout').addEventListener('click', () => setZoom(zoom / 1.25));
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect();
    setZoom(zoom * Math.exp(-e.deltaY / 500), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  stage.addEventListener('pointerdown', (e) => {
    drag = [e.clientX, e.clientY, stage.scrollLeft, stage.scrollTop];
    stage.classList.add('dragging');
  });
  window.addEventListener('pointermove', (e) => {
    if (!drag) return;
    stage.scrollLeft = drag[2] - (e.clientX - drag[0]); stage.scrollTop = drag[3] - (e.clientY - drag[1]);
  });
  window.addEventListener('pointerup', () => { drag = null; stage.classList.remove('dragging'); });
  document.addEventListener('keydown', (e) => {
    if (e.target === choose || e.altKey || e.ctrlKey || e.metaKey) return;
    const keys = { ArrowRight: () => show(k + 1), ArrowLeft: () => show(k - 1), Home: () => show(0),
                   End: () => show(n - 1) };
    if (keys[e.key]) { e.preventDefault(); stop(); keys[e.key](); }
    else if (e.key === ' ') { e.preventDefault(); toggle(); }
  });
  window.addEventListener('hashchange', () => {
    const j = fromHash();
    if (j !== null && j !== k) { stop(); show(j, false); }
  });
  const start = fromHash();
  show(start === null ? 0 : start, start !== null);
})();
