(function () {
  const data = JSON.parse(document.getElementById('data').textContent);
  const frames = data.frames, n = frames.length, words = data.words;
  const $ = (id) => document.getElementById(id);
  const stage = $('stage'), canvas = $('canvas'), slider = $('slider'), choose = $('param');
  const prev = $('prev'), next = $('next'), play = $('play');
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
  function fitZoom() {
    const [w, h] = natural();
    return Math.min((stage.clientWidth - 4) / w, (stage.clientHeight - 4) / h);
  }
  function readableZoom() {  // the smallest text at least 11 CSS px high
    let smallest = Infinity;
    svg().querySelectorAll('text').forEach((t) => {
      const size = parseFloat(t.getAttribute('font-size') || '14');
      if (size > 0 && size < smallest) smallest = size;
    });
    return smallest === Infinity ? 1 : 11 / (smallest * 4 / 3);
  }
  function setZoom(z, cx, cy) {  // keep the point under (cx, cy) of the stage where it is
    const s = svg(); if (!s) return;
    cx = cx === undefined ? stage.clientWidth / 2 : cx; cy = cy === undefined ? stage.clientHeight / 2 : cy;
    const x = (stage.scrollLeft + cx) / zoom, y = (stage.scrollTop + cy) / zoom;
    zoom = Math.max(0.05, Math.min(8, z));
    applyZoom();
    stage.scrollLeft = x * zoom - cx; stage.scrollTop = y * zoom - cy;
  }
  function reveal(id) {  // on opening only: frames never move the picture afterwards
    const el = canvas.querySelector('[id="' + CSS.escape(id) + '"]');
    if (!el) return;
    const box = el.getBoundingClientRect(), view = stage.getBoundingClientRect();
    stage.scrollLeft += box.left + box.width / 2 - view.left - stage.clientWidth / 2;
    stage.scrollTop += box.top + box.height / 2 - view.top - stage.clientHeight / 2;
  }
  function mark() {
    const frame = frames[k];
    canvas.querySelectorAll('.hl, .now, .pending').forEach((el) => el.classList.remove('hl', 'now', 'pending'));
    const ids = (data.highlights[frame.picture] || {})[choose.value] || [];
    const find = (id) => canvas.querySelector('[id="' + CSS.escape(id) + '"]');
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
      const first = zoom === null;
      if (first) zoom = Math.max(fitZoom(), readableZoom());
      applyZoom();
      if (first && frame.current.length) reveal(frame.current[0]);
    }
    if (frame.picture >= 0) mark();
    table(frame);
    document.querySelectorAll('#derivations > [data-step]').forEach((el) => {
      el.hidden = !(+el.dataset.step === frame.step && el.dataset.param === choose.value);
    });
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
  $('fit').addEventListener('click', () => { setZoom(fitZoom()); stage.scrollLeft = 0; stage.scrollTop = 0; });
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
