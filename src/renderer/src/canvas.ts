// Drawing helpers for the parts of the window that change every frame (messages in flight, the
// space-time diagram): a canvas redraw costs a fraction of patching hundreds of SVG elements.

/** Sizes a canvas for the screen's pixel density and returns its 2D context in CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d');
  context?.setTransform(ratio, 0, 0, ratio, 0, 0);
  context?.clearRect(0, 0, width, height);
  return context;
}

const cache = new Map<string, { value: string; at: number }>();

/** A theme color (a CSS custom property) as the canvas needs it; re-read twice a second, so a theme switch shows. */
export function themeColor(element: Element, property: string): string {
  const now = performance.now();
  const hit = cache.get(property);
  if (hit && now - hit.at < 500) return hit.value;
  const value = getComputedStyle(element).getPropertyValue(property).trim() || '#888';
  cache.set(property, { value, at: now });
  return value;
}

