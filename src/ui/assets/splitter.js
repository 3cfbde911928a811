/* global window */
// The bar between the waterfall and the details pane: drag it (or focus it and press ←/→) to
// give the details more room; the width is kept for the session.
const MIN_PX = 260;

export function setupSplitter(splitter, layout) {
  const clamp = (px) => Math.max(MIN_PX, Math.min(px, layout.clientWidth - 320));
  const set = (px) => {
    const width = Math.round(clamp(px));
    layout.style.setProperty('--details-width', `${width}px`);
    splitter.setAttribute('aria-valuenow', String(width));
    window.sessionStorage?.setItem('kubestitch.detailsWidth', String(width));
  };
  const saved = Number(window.sessionStorage?.getItem('kubestitch.detailsWidth'));
  if (saved > 0) layout.style.setProperty('--details-width', `${saved}px`);
  const current = () => layout.querySelector('.details').getBoundingClientRect().width;
  splitter.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    splitter.setPointerCapture(e.pointerId);
    const right = layout.getBoundingClientRect().right;
    const move = (ev) => set(right - ev.clientX);
    const up = () => {
      splitter.removeEventListener('pointermove', move);
      splitter.removeEventListener('pointerup', up);
    };
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', up);
  });
  splitter.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') set(current() + 40);
    else if (e.key === 'ArrowRight') set(current() - 40);
    else return;
    e.preventDefault();
  });
}
