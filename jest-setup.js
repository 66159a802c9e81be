// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { configure } from '@testing-library/react';

// These machines run other test suites at the same time: give findBy*/waitFor room before failing.
configure({ asyncUtilTimeout: 10000 });

// jsdom has no IntersectionObserver, which @grafana/scenes uses to run queries of panels in view:
// everything counts as in view.
class IntersectionObserverInView {
  constructor(callback) {
    this.callback = callback;
  }
  observe(target) {
    this.callback([{ isIntersecting: true, target, intersectionRatio: 1 }], this);
  }
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver = global.IntersectionObserver ?? IntersectionObserverInView;

// The scaffold's canvas has no 2D context; @grafana/ui's MultiCombobox measures its chips' text.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return { font: '', measureText: (text) => ({ width: String(text).length * 7 }) };
};
