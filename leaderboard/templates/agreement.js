/* Agreement report: tables, confusion matrix and an SVG scatter plot from the embedded JSON. Every group is on
   one rubric scale (g.scale = [lowest, highest]); groups on different scales are never pooled. */
(function () {
  const R = readData('ag-data');
  const labelsOf = ([low, high]) => Array.from({length: high - low + 1}, (_, k) => low + k);
  const scaleName = ([low, high]) => low + '–' + high;
  const groupName = (g) => (g.kind === 'overall' ? 'overall' : g.kind + ': ' + g.name) + ' (' + scaleName(g.scale) + ')';
  const STATS = [['pearson', 'Pearson r'], ['spearman', 'Spearman ρ'], ['kendall_tau_b', 'Kendall τ-b'],
    ['quadratic_kappa', 'κ (quadratic)'], ['krippendorff_alpha_ordinal', 'α (ordinal)'], ['exact_agreement', 'exact'],
    ['within_one_agreement', '±1'], ['pairwise_agreement_with_ties', 'pairwise (ties)'],
    ['pairwise_agreement_without_ties', 'pairwise (no ties)'], ['system_spearman', 'system ρ'], ['system_kendall_tau_b', 'system τ-b']];
  const TITLES = {within_one_agreement: 'share with |judge − human| ≤ 1; not reported (–) on a 0/1 scale, where it is always 1'};
  const f = (v) => (v === null || v === undefined ? '–' : v.toFixed(3));
  function statCell(s) {
    if (!s || s.value === null) return '–';
    return h('span', null, [f(s.value), s.ci_low === null ? null : h('span', {class: 'ci'}, '[' + f(s.ci_low) + ', ' + f(s.ci_high) + ']')]);
  }
  function summary() {
    const cols = [{label: 'group', key: (g) => g.kind + ' ' + g.name, cell: (g) => g.kind === 'overall' ? 'overall' : g.kind + ': ' + g.name},
      {label: 'scale', key: (g) => g.scale[0] * 1000 + g.scale[1], cell: (g) => scaleName(g.scale)},
      {label: 'responses', cls: 'num', desc: true, key: (g) => g.counts.items, cell: (g) => String(g.counts.items)}]
      .concat(STATS.map(([k, label]) => ({label: label, cls: 'num', desc: true, title: TITLES[k], key: (g) => g.stats[k].value, cell: (g) => statCell(g.stats[k])})));
    return sortableTable('agreement-table', cols, R.groups, (g) => ({class: 'clickable', onclick: () => showGroup(g)}));
  }
  const detail = h('div', {id: 'group-detail'});
  function scatter(points, scale) {
    const NS = 'http://www.w3.org/2000/svg';
    const low = scale[0], size = 320, pad = 36, step = (size - 2 * pad) / (scale[1] - scale[0]);
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('class', 'scatter'); svg.setAttribute('width', size); svg.setAttribute('height', size);
    svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'judge score (x) against human score (y), one dot per response; the confusion matrix beside it counts them');
    const line = (x1, y1, x2, y2, color) => { const l = document.createElementNS(NS, 'line');
      for (const [k, v] of [['x1', x1], ['y1', y1], ['x2', x2], ['y2', y2], ['stroke', color]]) l.setAttribute(k, v); svg.appendChild(l); };
    const text = (x, y, s) => { const t = document.createElementNS(NS, 'text'); t.setAttribute('x', x); t.setAttribute('y', y);
      t.setAttribute('font-size', '11'); t.setAttribute('text-anchor', 'middle'); t.textContent = s; svg.appendChild(t); };
    for (const v of labelsOf(scale)) {
      const p = pad + (v - low) * step;
      line(p, pad, p, size - pad, '#e3e6ee'); line(pad, p, size - pad, p, '#e3e6ee');
      text(p, size - pad + 16, String(v)); text(pad - 14, size - p + 4, String(v));
    }
    line(pad, size - pad, size - pad, pad, '#9aa3b5');
    text(size / 2, size - 4, 'judge score →'); text(pad + 4, pad - 16, 'human ↑');
    const count = new Map();
    for (const [j, hm] of points) count.set(j + ',' + hm, (count.get(j + ',' + hm) || 0) + 1);
    points.forEach(([j, hm], i) => {
      const jitter = (k) => (((i * 7919 + k * 104729) % 1000) / 1000 - 0.5) * step * 0.5;
      const c = document.createElementNS(NS, 'circle');
      c.setAttribute('cx', pad + (j - low) * step + jitter(1)); c.setAttribute('cy', size - pad - (hm - low) * step + jitter(2));
      c.setAttribute('r', 3); c.setAttribute('fill', 'rgba(36, 87, 197, 0.45)');
      const n = count.get(j + ',' + hm);
      const title = document.createElementNS(NS, 'title');
      title.textContent = 'judge ' + j + ', human ' + hm + ': ' + n + (n === 1 ? ' response' : ' responses');
      c.appendChild(title);
      svg.appendChild(c);
    });
    return svg;
  }
  function confusionTable(m, scale) {
    const labels = labelsOf(scale);
    const head = h('tr', null, [h('th', null, 'human ↓ / judge →')].concat(labels.map((v) => h('th', null, String(v)))));
    const rows = m.map((row, i) => h('tr', null, [h('th', null, String(labels[i]))].concat(row.map((n) => h('td', {class: 'num'}, String(n))))));
    return h('table', {class: 'data confusion', id: 'confusion-table'}, [h('thead', null, head), h('tbody', null, rows)]);
  }
  function showGroup(g) {
    detail.replaceChildren(h('h3', null, groupName(g) + ' — ' + g.counts.items + ' responses, '
      + g.counts.questions + ' questions, ' + g.counts.pairs + ' response pairs'), confusionTable(g.confusion, g.scale), scatter(g.points, g.scale));
  }
  function inter() {
    if (!R.inter_annotator.length) return h('div', {class: 'note'}, 'No response was rated by two or more people.');
    const out = [h('div', {class: 'note'}, 'Judge ≥ human-human agreement means the judge is as consistent with people as people are with each other.')];
    for (const ia of R.inter_annotator) {
      const rows = Object.entries(ia.stats).map(([k, s]) => h('tr', null, [h('th', null, k), h('td', {class: 'num'}, statCell(s))]));
      out.push(h('h3', null, 'Scale ' + scaleName(ia.scale) + ': ' + ia.items + ' responses rated by ' + ia.raters + ' raters'),
        h('table', {class: 'data inter-table', 'data-scale': scaleName(ia.scale)}, h('tbody', null, rows)));
    }
    return out;
  }
  function systems() {
    return sortableTable('systems-table', [{label: 'model', key: (s) => s.model, cell: (s) => s.model + ' (' + s.system + ')'},
      {label: 'scale', key: (s) => s.scale[0] * 1000 + s.scale[1], cell: (s) => scaleName(s.scale)},
      {label: 'responses', cls: 'num', key: (s) => s.n, cell: (s) => String(s.n)},
      {label: 'mean judge', cls: 'num', desc: true, key: (s) => s.judge_mean, cell: (s) => s.judge_mean.toFixed(3)},
      {label: 'mean human', cls: 'num', desc: true, key: (s) => s.human_mean, cell: (s) => s.human_mean.toFixed(3)}], R.systems);
  }
  document.getElementById('summary-body').replaceChildren(summary());
  document.getElementById('detail-body').replaceChildren(h('div', {class: 'note'}, 'Click a row above to show that group.'), detail);
  document.getElementById('inter-body').replaceChildren(...[].concat(inter()));
  document.getElementById('systems-body').replaceChildren(systems());
  if (R.excluded.length) {
    document.getElementById('excluded-body').replaceChildren(sortableTable('excluded-table', ['task', 'sample_id', 'system', 'reason'].map(
      (k) => ({label: k, key: (e) => e[k], cell: (e) => e[k]})), R.excluded));
  }
  showGroup(R.groups[0]);
  document.body.setAttribute('data-ready', '1');
})();
