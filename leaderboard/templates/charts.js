/* Chart marks show their numbers on a click or tap (hover shows the SVG <title>); text only. */
const chartTip = (function () {
  const box = document.getElementById('tip');
  let current = null;
  function hide() { if (box) box.hidden = true; current = null; }
  function show(mark, ev) {
    if (!box) return;
    box.textContent = mark.getAttribute('data-tip');
    box.hidden = false;
    current = mark;
    const width = box.offsetWidth;
    const maxLeft = document.documentElement.clientWidth + window.scrollX - width - 8;
    box.style.left = Math.max(window.scrollX + 8, Math.min(ev.pageX - width / 2, maxLeft)) + 'px';
    box.style.top = (ev.pageY + 14) + 'px';
  }
  document.addEventListener('click', (ev) => {
    const mark = ev.target instanceof Element ? ev.target.closest('[data-tip]') : null;
    if (mark) show(mark, ev); else hide();
  });
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') hide(); });
  window.addEventListener('resize', hide);
  /* showing(el): the tip on screen is this element's (a second tap on it) */
  return {hide: hide, showing: (el) => current === el && box !== null && !box.hidden};
})();
