/* Annotation page: one answer at a time; ratings go to the local server as same-origin JSON. */
(function () {
  const D = readData('an-data');
  const items = D.items;
  const raterBox = document.getElementById('rater');
  const progress = document.getElementById('progress');
  const view = document.getElementById('item');
  let rated = {};
  let current = 0;
  raterBox.value = localStorage.getItem('seabench-rater') || '';

  function textBlock(label, text, cls) {
    return [h('div', {class: 'label'}, label), h('div', {class: 'text ' + cls}, text === '' ? '—' : text)];
  }
  function updateProgress() {
    progress.textContent = ' · item ' + (current + 1) + ' of ' + items.length + ' · rated ' + Object.keys(rated).length;
  }
  async function loadState() {
    const name = raterBox.value.trim();
    if (!name) { rated = {}; show(current); return; }
    const res = await fetch('/api/state?rater=' + encodeURIComponent(name));
    rated = (await res.json()).rated;
    show(current);
    document.body.dataset.rater = name;
  }
  async function rate(score, status, comment) {
    const name = raterBox.value.trim();
    if (!name) { status.className = 'status error'; status.textContent = 'Enter your name or rater id first.'; raterBox.focus(); return; }
    status.className = 'status'; status.textContent = 'saving…';
    try {
      const res = await fetch('/api/rate', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({index: items[current].index, score: score, rater: name, comment: comment.value})});
      const body = await res.json();
      if (!res.ok) throw new Error(body.error || res.statusText);
      rated[items[current].index] = score;
      status.className = 'status saved'; status.textContent = 'saved ' + score;
      view.querySelectorAll('.rating button').forEach((b) => b.classList.toggle('chosen', Number(b.dataset.score) === score));
      updateProgress();
    } catch (err) {
      status.className = 'status error'; status.textContent = 'NOT saved: ' + err.message;
    }
  }
  function show(i) {
    current = Math.max(0, Math.min(items.length - 1, i));
    const it = items[current];
    if (!it) { view.replaceChildren(h('p', null, 'Nothing to rate in this run.')); return; }
    const status = h('span', {class: 'status', id: 'status'});
    const comment = h('textarea', {id: 'comment', rows: 2, cols: 60, maxlength: 2000, placeholder: 'optional comment'});
    const [low, high] = it.scale;  // the item's rubric scale: 1-5, 0-5, 0/1 ...
    const scores = Array.from({length: high - low + 1}, (_, k) => low + k);
    const buttons = scores.map((s) => h('button', {type: 'button', 'data-score': s, class: rated[it.index] === s ? 'chosen' : '',
      onclick: () => rate(s, status, comment)}, String(s)));
    const nodes = [h('h3', null, it.task + ' · ' + it.sample_id + ' (' + it.language + ')')];
    for (const src of it.audio) nodes.push(h('audio', {controls: 'controls', preload: 'metadata', src: src}));
    nodes.push(...textBlock('Question', it.prompt, 'prompt'), ...textBlock('Reference', it.reference, 'reference'));
    if (it.choices.length) nodes.push(...textBlock('Choices', it.choices.join('\n'), 'choices'));
    nodes.push(...textBlock('Answer', it.answer, 'answer'), ...textBlock('Rubric', it.rubric, 'rubric'));
    nodes.push(h('div', {class: 'label', id: 'scale'}, 'Your score (' + low + '–' + high + ')'),
      h('div', {class: 'rating'}, buttons.concat([status])), h('div', null, comment));
    nodes.push(h('div', null, [
      h('button', {type: 'button', id: 'prev', onclick: () => show(current - 1)}, '← previous'), ' ',
      h('button', {type: 'button', id: 'next', onclick: () => show(current + 1)}, 'next →'), ' ',
      h('button', {type: 'button', id: 'next-unrated', onclick: () => {
        const k = items.findIndex((x, j) => j > current && rated[x.index] === undefined);
        show(k >= 0 ? k : items.findIndex((x) => rated[x.index] === undefined));
      }}, 'next unrated')]));
    view.replaceChildren(...nodes);
    updateProgress();
  }
  raterBox.addEventListener('change', () => { localStorage.setItem('seabench-rater', raterBox.value.trim()); loadState(); });
  loadState().then(() => document.body.setAttribute('data-ready', '1'));
})();
